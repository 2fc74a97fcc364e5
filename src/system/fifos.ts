// Makes the FIFOs a tree copy listed (mkfifo(1): Node cannot), with their owners, modes and times, parents untouched.
import {chmod, lchown, lstat, utimes} from 'node:fs/promises'
import path from 'node:path'

import type {FifoEntry} from './copy-tree.js'
import type {CommandRunner} from './runner.js'

/** Paths per mkfifo call: far below ARG_MAX. */
const BATCH = 500

/**
 * `mkfifo -m 0600 -- PATH...` for each of FIFOS under ROOT, then its owner, mode and times; the times of the
 * directories holding them are put back as they were before.
 */
export async function makeFifos(run: CommandRunner, root: string, fifos: readonly FifoEntry[]): Promise<void> {
  const parents = new Map<string, {atime: Date; mtime: Date}>()
  for (const fifo of fifos) {
    const parent = path.dirname(path.join(root, fifo.path))
    if (!parents.has(parent)) parents.set(parent, await lstat(parent))
  }
  for (let i = 0; i < fifos.length; i += BATCH) {
    await run.run('mkfifo', [
      '-m',
      '0600',
      '--',
      ...fifos.slice(i, i + BATCH).map((fifo) => path.join(root, fifo.path)),
    ])
  }
  for (const fifo of fifos) {
    const file = path.join(root, fifo.path)
    // chown before chmod: chown clears setuid and setgid
    await lchown(file, fifo.uid, fifo.gid)
    await chmod(file, fifo.mode)
    await utimes(file, fifo.atime, fifo.mtime)
  }
  for (const [parent, times] of parents) await utimes(parent, times.atime, times.mtime)
}
