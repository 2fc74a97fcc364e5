// Makes the FIFOs a tree copy listed (mkfifo(1): Node cannot), with their owners, modes and times, parents untouched.
import {chmod, lchown, lstat, utimes} from 'node:fs/promises'
import path from 'node:path'
import {Readable} from 'node:stream'

import {fsPath, hasRawBytes, nameBytes} from './byte-names.js'
import type {FifoEntry} from './copy-tree.js'
import type {CommandRunner} from './runner.js'

/** Paths per mkfifo call: far below ARG_MAX. */
const BATCH = 500

/**
 * `mkfifo -m 0600 -- PATH...` for each of FIFOS under ROOT, then its owner, mode and times; the times of the
 * directories holding them are put back as they were before. A path holding bytes that are not UTF-8 (kept as
 * byte-names.ts keeps them) reaches mkfifo NUL-separated through `xargs -0`: a program's arguments are text.
 */
export async function makeFifos(run: CommandRunner, root: string, fifos: readonly FifoEntry[]): Promise<void> {
  const parents = new Map<string, {atime: Date; mtime: Date}>()
  for (const fifo of fifos) {
    const parent = path.dirname(path.join(root, fifo.path))
    if (!parents.has(parent)) parents.set(parent, await lstat(fsPath(parent)))
  }
  const files = fifos.map((fifo) => path.join(root, fifo.path))
  const texts = files.filter((file) => !hasRawBytes(file))
  for (let i = 0; i < texts.length; i += BATCH)
    await run.run('mkfifo', ['-m', '0600', '--', ...texts.slice(i, i + BATCH)])
  const bytes = files.filter(hasRawBytes).flatMap((file) => [nameBytes(file), Buffer.of(0)])
  if (bytes.length > 0) {
    const stdin = Readable.from([Buffer.concat(bytes)])
    const started = run.stream('xargs', ['-0', 'mkfifo', '-m', '0600', '--'], {stdin})
    started.stdout.resume()
    await started.done
  }
  for (const [i, fifo] of fifos.entries()) {
    const file = fsPath(files[i] ?? '')
    // chown before chmod: chown clears setuid and setgid
    await lchown(file, fifo.uid, fifo.gid)
    await chmod(file, fifo.mode)
    await utimes(file, fifo.atime, fifo.mtime)
  }
  for (const [parent, times] of parents) await utimes(fsPath(parent), times.atime, times.mtime)
}
