// Reads a file tsez trusts (its config, a trusted MANIFEST): a regular file that only root can change, capped in size.
import {constants, type Stats} from 'node:fs'
import {open, realpath, stat} from 'node:fs/promises'
import path from 'node:path'

import {UsageError} from './errors.js'

export interface TrustedFileOptions {
  /** What the file is, in messages: "config", "trusted MANIFEST". */
  what: string
  /** Where the name came from, prefixed to the not-a-regular-file message ("--config ", "--manifest "), or ''. */
  source: string
  /** A missing file gives undefined instead of an error. */
  missingOk: boolean
  /** Larger files are refused (a trusted file is small; /dev/zero behind a symlink must not be read forever). */
  maxBytes?: number
}

/**
 * The file's text, or undefined when it is missing and that is allowed. Like sshd's StrictModes: tsez runs as root and
 * the file decides what it copies, mounts, removes or accepts, so the file and every directory above it must be
 * owned by root (or the user running tsez) and not writable by group or others (a directory may be, with the sticky
 * bit). Only a regular file (a symlink is followed to its target): a FIFO would block the read forever, a device or a
 * socket is no such file. Judged before opening (opening a device can act on it), and again on what was opened.
 */
export async function readTrustedFile(file: string, options: TrustedFileOptions): Promise<string | undefined> {
  const before = await stat(file).catch(() => undefined)
  if (before) refuseSpecial(before, file, options)
  let handle
  try {
    handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT' && options.missingOk) return undefined
    throw new UsageError(`cannot read ${options.what} file ${file}: ${code === 'ENOENT' ? 'no such file' : code}`)
  }
  try {
    const info = await handle.stat()
    refuseSpecial(info, file, options)
    const problem = trustProblem(file, info, false, options.what)
    if (problem !== undefined) throw new UsageError(problem)
    for (let dir = path.dirname(await realpath(file)); ; dir = path.dirname(dir)) {
      const dirProblem = trustProblem(dir, await stat(dir), true, options.what)
      if (dirProblem !== undefined) throw new UsageError(`${dirProblem} (it holds ${file})`)
      if (dir === '/') break
    }
    if (options.maxBytes !== undefined && info.size > options.maxBytes)
      throw new UsageError(`${options.source}${file}: ${info.size} bytes, more than a ${options.what} can be`)
    return await handle.readFile('utf8')
  } finally {
    await handle.close()
  }
}

/** Anything but a regular file is refused: one line naming what it is (a directory keeps errno's EISDIR). */
function refuseSpecial(info: Stats, file: string, options: TrustedFileOptions): void {
  if (info.isFile()) return
  if (info.isDirectory())
    throw new UsageError(`cannot read ${options.what} file ${file}: EISDIR (${options.source}${file}: a directory)`)
  const kind = info.isFIFO()
    ? 'fifo'
    : info.isSocket()
      ? 'socket'
      : info.isCharacterDevice()
        ? 'character device'
        : info.isBlockDevice()
          ? 'block device'
          : 'special file'
  throw new UsageError(`${options.source}${file}: not a regular file (${kind})`)
}

const GROUP_OR_OTHER_WRITE = 0o022
const STICKY = 0o1000

function trustProblem(target: string, info: Stats, directory: boolean, what: string): string | undefined {
  const me = process.getuid?.() ?? 0
  const fix = directory ? `chmod go-w ${target}` : `chown root ${target} && chmod go-w ${target}`
  if (info.uid !== 0 && info.uid !== me) {
    return `${target} is owned by uid ${info.uid}, not root: tsez runs as root and will not read a ${what} someone else can change (${fix})`
  }
  if ((info.mode & GROUP_OR_OTHER_WRITE) !== 0 && !(directory && (info.mode & STICKY) !== 0)) {
    return `${target} is writable by group or others: tsez runs as root and will not read a ${what} they could change (${fix})`
  }
  return undefined
}
