// freebsd-update's own state for the basejail in tsez's workdir: an install it began and only `install` can finish.
import {createHash} from 'node:crypto'
import {lstat, readlink, rm} from 'node:fs/promises'
import path from 'node:path'

import {pathExists} from '../system/files.js'

/**
 * WORKDIR/<hash>-install, the manifest of the updates fetched for BASEDIR and not yet fully installed; the hash
 * is freebsd-update.sh's `echo ${BASEDIR} | sha256 -q` (freebsd.md §3.3). A link to a directory of WORKDIR.
 */
export function pendingInstallPath(workdir: string, basejail: string): string {
  const hash = createHash('sha256').update(`${basejail}\n`).digest('hex')
  return path.join(workdir, `${hash}-install`)
}

/**
 * An install stopped half way: install_files marks each phase done (kerneldone, worlddone) and drops the marks
 * when the whole install is in. freebsd-update cannot undo such an install (`rollback` would discard it and undo
 * the update before), and `fetch`/`upgrade` refuse while it is pending: only `install` finishes it.
 */
export async function hasHalfDoneInstall(workdir: string, basejail: string): Promise<boolean> {
  const pending = pendingInstallPath(workdir, basejail)
  for (const mark of ['kerneldone', 'worlddone']) if (await pathExists(path.join(pending, mark))) return true
  return false
}

/** Drops the pending install, as freebsd-update's own rollback does: after the basejail was restored from a snapshot. */
export async function discardPendingInstall(workdir: string, basejail: string): Promise<void> {
  const pending = pendingInstallPath(workdir, basejail)
  const stat = await lstat(pending).catch(() => undefined)
  if (!stat) return
  if (stat.isSymbolicLink()) {
    const target = path.resolve(workdir, await readlink(pending))
    // Only a directory inside tsez's own workdir is removed, whatever the link says.
    if (path.dirname(target) === workdir) await rm(target, {recursive: true, force: true})
  }
  await rm(pending, {recursive: true, force: true})
}
