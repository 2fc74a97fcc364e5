// The archive file: opened once, its checksum, and its tar bytes through the decompressor its first bytes name.
import {createHash} from 'node:crypto'
import {closeSync, constants, createReadStream, fstatSync, openSync} from 'node:fs'
import {open, stat, type FileHandle} from 'node:fs/promises'
import path from 'node:path'
import {Readable} from 'node:stream'
import {createGunzip} from 'node:zlib'

import {UsageError} from '../errors.js'
import {detectCompression, parseSha256File, type Compression} from '../jail/archive-format.js'
import type {CommandRunner} from '../system/runner.js'
import {ezjailTar, isGzip} from './ezjail-archive.js'

export interface OpenedArchive {
  file: string
  /** Held open from the first read to the last: the checksum reads it, and every later reader must be this file. */
  handle: FileHandle
  /** gzip: an ezjail archive (`ezjail-admin archive`), a cpio or tar inside. */
  compression: Compression | 'gzip'
  /** The held file's device and inode: a descriptor opened again for a tar reader must name the same file. */
  identity: {dev: bigint; ino: bigint}
}

/** Opens ARCHIVE: a non-empty regular file that is xz, zstd, a plain tar, or gzip (ezjail's). */
export async function openArchive(file: string): Promise<OpenedArchive> {
  const info = await stat(file).catch(() => undefined)
  if (info === undefined) throw new UsageError(`archive ${file} does not exist`)
  if (!info.isFile()) throw new UsageError(`archive ${file} is not a regular file`)
  if (info.size === 0) throw new UsageError(`archive ${file} is empty`)
  const handle = await open(file, READ_ONLY)
  const held = await handle.stat({bigint: true})
  if (!held.isFile()) {
    await handle.close() // swapped for something else since the stat: only what was opened counts
    throw new UsageError(`archive ${file} is not a regular file`)
  }
  const head = Buffer.alloc(512)
  const {bytesRead} = await handle.read(head, 0, 512, 0)
  const compression = isGzip(head.subarray(0, bytesRead)) ? 'gzip' : detectCompression(head.subarray(0, bytesRead))
  if (compression === undefined) {
    await handle.close()
    throw new UsageError(`archive ${file} is neither xz, zstd, a tar archive nor an ezjail archive (gzip)`)
  }
  return {file, handle, compression, identity: {dev: held.dev, ino: held.ino}}
}

/** Non-blocking: a FIFO swapped in for the archive never hangs its open (reads of a regular file are unaffected). */
const READ_ONLY = constants.O_RDONLY | constants.O_NONBLOCK
const SUM_CHUNK_BYTES = 1024 * 1024
const SUM_FILE_BYTES = 64 * 1024

/**
 * The text of SUMFILE: a regular file of at most 64 KiB, judged by what was opened (non-blocking: a FIFO swapped in
 * after a stat would hang the read), never by a stat of the path before it.
 */
async function readSumFile(sumFile: string): Promise<string> {
  const refused = () =>
    new UsageError(`${sumFile} is missing or not a checksum file; give --no-verify to restore unchecked`)
  const handle = await open(sumFile, READ_ONLY).catch(() => undefined)
  if (handle === undefined) throw refused()
  try {
    const info = await handle.stat()
    if (!info.isFile() || info.size > SUM_FILE_BYTES) throw refused()
    const text = Buffer.alloc(SUM_FILE_BYTES + 1)
    const {bytesRead} = await handle.read(text, 0, text.length, 0)
    if (bytesRead > SUM_FILE_BYTES) throw refused() // it grew since the fstat
    return text.subarray(0, bytesRead).toString('utf8')
  } finally {
    await handle.close()
  }
}

/** Compares the archive's sha256 with ARCHIVE.sha256 beside it (sha256sum's or BSD's format). */
export async function verifyChecksum(archive: OpenedArchive): Promise<string> {
  const sumFile = `${archive.file}.sha256`
  const expected = parseSha256File(await readSumFile(sumFile), path.basename(archive.file))
  if (expected === undefined) throw new UsageError(`${sumFile} has no sha256 for ${path.basename(archive.file)}`)
  const hash = createHash('sha256')
  // Two buffers read into again and again (no garbage per chunk, a sixteenth of a stream's reads): the next
  // chunk is read while this one is summed, so the reads no longer leave this thread idle between sums.
  let [summing, reading] = [Buffer.allocUnsafe(SUM_CHUNK_BYTES), Buffer.allocUnsafe(SUM_CHUNK_BYTES)]
  const readAt = (buffer: Buffer, position: number) => archive.handle.read(buffer, 0, buffer.length, position)
  let next = readAt(summing, 0)
  for (let position = 0; ;) {
    const {bytesRead} = await next
    if (bytesRead === 0) break
    position += bytesRead
    next = readAt(reading, position)
    hash.update(summing.subarray(0, bytesRead))
    ;[summing, reading] = [reading, summing]
  }
  const actual = hash.digest('hex')
  if (actual !== expected) {
    throw new UsageError(`${archive.file}: checksum mismatch (sha256 ${actual}, ${sumFile} says ${expected})`)
  }
  return actual
}

export interface TarStream {
  /** The tar bytes, read once, held from the start (a small archive's may all be out while a restore plans). */
  chunks: AsyncIterable<Buffer>
  /** Settles when the decompressor has exited (at once for a plain tar). */
  done: Promise<unknown>
  kill(): void
}

/**
 * The archive's tar bytes from the start, through `xz -dc` or `zstd -dc` as its first bytes say; an ezjail archive
 * through gunzip and, when it is a cpio (as `pax -x cpio` wrote it), re-encoded as tar; xz with -T0, several blocks
 * decoded at once (and ahead, while a restore plans: see readMetaAhead).
 * Every reader gets a descriptor of its own on the archive (reopen): a decompressor reads the file itself, so the
 * compressed bytes never pass through this process, and a reader stopped early closes only its own descriptor.
 */
export function tarStreamOf(archive: OpenedArchive, run: CommandRunner): TarStream {
  const descriptor = reopen(archive)
  if (archive.compression === 'xz' || archive.compression === 'zstd') {
    const program = archive.compression
    const args = program === 'xz' ? ['-dc', '-T0'] : ['-dc', '-q']
    let child: ReturnType<CommandRunner['stream']>
    try {
      child = run.stream(program, args, {stdin: descriptor})
    } finally {
      closeSync(descriptor) // the program has its own copy
    }
    // Its failure is read when the reader gets to it: the stream's own end or error usually says it first.
    child.done.catch(() => undefined)
    const kill = () => {
      child.kill()
      child.stdout.destroy() // its output unread: the program's end waits for its pipe's
    }
    return {chunks: readOnce(child.stdout), done: child.done, kill}
  }
  const file = createReadStream('', {fd: descriptor}) // closes the descriptor when it ends or is destroyed
  if (archive.compression === 'none')
    return {chunks: readOnce(file), done: Promise.resolve(), kill: () => file.destroy()}
  const gunzip = createGunzip()
  file.on('error', (error) => gunzip.destroy(error))
  const stream = Readable.from(ezjailTar(file.pipe(gunzip)), {objectMode: false})
  const kill = () => {
    file.destroy()
    gunzip.destroy()
    stream.destroy()
  }
  return {chunks: readOnce(stream), done: Promise.resolve(), kill}
}

/**
 * STREAM's chunks, held from now: with a 'readable' listener, Node.js's resume of an exited program's unread output
 * leaves it buffered (without one it flows, to nobody). The listener reads nothing: the reader does, when it comes.
 */
function readOnce(stream: Readable): AsyncIterable<Buffer> {
  stream.on('readable', () => undefined)
  return stream as AsyncIterable<Buffer>
}

/**
 * The archive opened again, read from its start (a descriptor shares its offset with every copy, and a stream
 * destroyed closes its descriptor, so the held one is never handed out): refused unless it is the very file that
 * was opened, checked and summed.
 */
function reopen(archive: OpenedArchive): number {
  const replaced = new UsageError(`archive ${archive.file} was removed or replaced while it was being read`)
  let descriptor: number
  try {
    descriptor = openSync(archive.file, READ_ONLY)
  } catch {
    throw replaced
  }
  const {dev, ino} = fstatSync(descriptor, {bigint: true})
  if (dev !== archive.identity.dev || ino !== archive.identity.ino) {
    closeSync(descriptor)
    throw replaced
  }
  return descriptor
}
