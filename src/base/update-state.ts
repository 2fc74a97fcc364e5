// freebsd-update's own state for a basedir in tsez's workdir: finding a half-done install, dropping what no run can use.
import {createHash} from 'node:crypto'
import {lstat, readlink, rm} from 'node:fs/promises'
import path from 'node:path'

import {pathExists} from '../system/files.js'

/**
 * WORKDIR/<hash>-install, the manifest of the updates fetched for BASEDIR and not yet fully installed; the hash
 * is freebsd-update.sh's `echo ${BASEDIR} | sha256 -q` (freebsd.md §3.3). A link to a directory of WORKDIR.
 */
export function pendingInstallPath(workdir: string, basejail: string): string {
  return statePath(workdir, basejail, 'install')
}

/** WORKDIR/<hash>-rollback: the last complete install, which `freebsd-update rollback` undoes. */
export function rollbackPath(workdir: string, basedir: string): string {
  return statePath(workdir, basedir, 'rollback')
}

function statePath(workdir: string, basedir: string, kind: 'install' | 'rollback'): string {
  const hash = createHash('sha256').update(`${basedir}\n`).digest('hex')
  return path.join(workdir, `${hash}-${kind}`)
}

/**
 * An install stopped half way: install_files marks each phase done (kerneldone, worlddone) and drops the marks
 * when the whole install is in. freebsd-update cannot undo such an install (`rollback` would discard it and undo
 * the update before), `fetch` refuses while it is pending, and `upgrade` would replace it with one computed
 * against the half-changed tree: `install` finishes it.
 */
export async function hasHalfDoneInstall(workdir: string, basejail: string): Promise<boolean> {
  const pending = pendingInstallPath(workdir, basejail)
  for (const mark of ['kerneldone', 'worlddone']) if (await pathExists(path.join(pending, mark))) return true
  return false
}

/** Drops the pending install, as freebsd-update's own rollback does: after the basejail was restored from a snapshot. */
export async function discardPendingInstall(workdir: string, basejail: string): Promise<void> {
  await dropEntry(workdir, pendingInstallPath(workdir, basejail))
}

/**
 * Drops everything freebsd-update keeps for BASEDIR (pending install and rollback): for a tree patched before it
 * is moved elsewhere (install's staging tree), whose entries no later run can use.
 */
export async function forgetBasedir(workdir: string, basedir: string): Promise<void> {
  await dropEntry(workdir, pendingInstallPath(workdir, basedir))
  await dropEntry(workdir, rollbackPath(workdir, basedir))
}

/** ENTRY is a link to a directory of WORKDIR (freebsd-update's layout); both go. */
async function dropEntry(workdir: string, entry: string): Promise<void> {
  const stat = await lstat(entry).catch(() => undefined)
  if (!stat) return
  if (stat.isSymbolicLink()) {
    const target = path.resolve(workdir, await readlink(entry))
    // Only a directory inside tsez's own workdir is removed, whatever the link says.
    if (path.dirname(target) === workdir) await rm(target, {recursive: true, force: true})
  }
  await rm(entry, {recursive: true, force: true})
}
