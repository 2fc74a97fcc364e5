// What restore makes after the extraction: the FIFOs (mkfifo(1); Node cannot) and the file flags (chflags, last).
import {chmod, lchown, lstat, utimes} from 'node:fs/promises'
import path from 'node:path'

import type {ExtractResult} from '../dist/extract.js'
import {applyFileFlags, type FileFlags} from '../dist/file-flags.js'
import type {CommandRunner} from '../system/runner.js'

/** Paths per mkfifo call: far below ARG_MAX. */
const BATCH = 500

/**
 * Makes each FIFO the extraction reserved under STAGING (`mkfifo -m 0600 -- PATH...`), then its owner, mode and
 * times; the times of the directories holding them are put back as the archive had them.
 */
export async function makeFifos(run: CommandRunner, staging: string, fifos: ExtractResult['fifos']): Promise<void> {
  if (fifos.length === 0) return
  const parents = new Map<string, {atime: Date; mtime: Date}>()
  for (const fifo of fifos) {
    const parent = path.dirname(path.join(staging, fifo.path))
    if (!parents.has(parent)) parents.set(parent, await lstat(parent))
  }
  for (let i = 0; i < fifos.length; i += BATCH) {
    const paths = fifos.slice(i, i + BATCH).map((fifo) => path.join(staging, fifo.path))
    await run.run('mkfifo', ['-m', '0600', '--', ...paths])
  }
  for (const fifo of fifos) {
    const file = path.join(staging, fifo.path)
    // chown before chmod: chown clears setuid and setgid
    await lchown(file, fifo.uid, fifo.gid)
    await chmod(file, fifo.mode)
    await utimes(file, fifo.atime, fifo.mtime)
  }
  for (const [parent, times] of parents) await utimes(parent, times.atime, times.mtime)
}

/** The flags of the members under TREE (root/), re-applied to the jail's ROOT with chflags -h. */
export async function applyRootFlags(
  run: CommandRunner,
  root: string,
  tree: string,
  flags: readonly FileFlags[],
): Promise<void> {
  const prefix = `${tree}/`
  const underRoot = flags
    .filter((entry) => entry.path === tree || entry.path.startsWith(prefix))
    .map((entry) => ({path: entry.path.slice(prefix.length) || '.', flags: entry.flags}))
  await applyFileFlags(run, root, underRoot)
}
