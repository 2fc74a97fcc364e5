// A POSIX cpio (odc) stream, as `pax -x cpio` writes ezjail archives, re-encoded as tar for the tar reader.
import {UsageError, quote} from '../errors.js'
import {tarHeaderBlocks, tarPadding, unstorableProblem} from '../dist/tar-write.js'
import {nameText} from '../system/byte-names.js'
import type {HeaderData} from 'tar'

const HEADER = 76
const MAGIC = '070707'
const TRAILER = 'TRAILER!!!'
const CHUNK = 1024 * 1024
/** Names and symlink targets longer than this are not cpio's (PATH_MAX is 1024 on FreeBSD). */
const MAX_NAME = 4096

const TYPES: ReadonlyMap<number, HeaderData['type']> = new Map([
  [0o100000, 'File'],
  [0o040000, 'Directory'],
  [0o120000, 'SymbolicLink'],
  [0o010000, 'FIFO'],
  [0o020000, 'CharacterDevice'],
  [0o060000, 'BlockDevice'],
])

/** Reads exact byte counts from a chunked source. */
class ByteReader {
  private buffered: Buffer[] = []
  private length = 0
  private readonly iterator: AsyncIterator<Buffer>
  constructor(source: AsyncIterable<Buffer>) {
    this.iterator = source[Symbol.asyncIterator]()
  }
  /** N bytes, or fewer only at the end of the source. */
  async read(n: number): Promise<Buffer> {
    while (this.length < n) {
      const next = await this.iterator.next()
      if (next.done === true) break
      this.buffered.push(next.value)
      this.length += next.value.length
    }
    const all = this.buffered.length === 1 ? (this.buffered[0] as Buffer) : Buffer.concat(this.buffered)
    const taken = all.subarray(0, n)
    this.buffered = all.length > n ? [all.subarray(n)] : []
    this.length = Math.max(0, all.length - n)
    return taken
  }
  async exactly(n: number, what: string): Promise<Buffer> {
    const bytes = await this.read(n)
    if (bytes.length < n) throw new UsageError(`truncated cpio archive (in ${what})`)
    return bytes
  }
}

/**
 * The tar stream of a cpio odc SOURCE: each member's header, its data, and a second name of a file (same device
 * and inode) as a hard link to the first. Device nodes are carried (the tar reader refuses them); a socket, a bad
 * header or an early end is a UsageError.
 */
export async function* cpioToTar(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const reader = new ByteReader(source)
  const firstNames = new Map<string, string>()
  for (;;) {
    const header = (await reader.exactly(HEADER, 'a header')).toString('latin1')
    if (!header.startsWith(MAGIC)) throw new UsageError('not a POSIX cpio (odc) archive or a damaged one')
    const field = (at: number, width: number): number => {
      const text = header.slice(at, at + width)
      if (!/^[0-7]+$/.test(text)) throw new UsageError(`damaged cpio header (${quote(text)})`)
      return parseInt(text, 8)
    }
    const [dev, ino, mode, uid, gid, nlink] = [6, 12, 18, 24, 30, 36].map((at) => field(at, 6))
    const mtime = field(48, 11)
    const nameSize = field(59, 6)
    const size = field(65, 11)
    if (nameSize < 2 || nameSize > MAX_NAME) throw new UsageError(`cpio member name of ${nameSize} bytes`)
    // Bytes that are not UTF-8 kept as nameText keeps them: tarHeaderBlocks writes them back as bytes
    const name = nameText((await reader.exactly(nameSize, 'a name')).subarray(0, nameSize - 1))
    if (name === TRAILER) break
    const type = TYPES.get((mode ?? 0) & 0o170000)
    if (type === undefined) throw new UsageError(`member ${quote(name)} is a socket or of an unknown type`)
    const data: HeaderData = {path: name, type, mode: (mode ?? 0) & 0o7777, uid, gid, mtime: new Date(mtime * 1000)}
    data.size = 0
    const unstorable = unstorableProblem(name, 'name')
    if (unstorable !== undefined) throw new UsageError(`member refused: ${unstorable}`)
    if (type === 'SymbolicLink') {
      if (size > MAX_NAME) throw new UsageError(`symlink ${quote(name)} has a target of ${size} bytes`)
      data.linkpath = nameText(await reader.exactly(size, name))
      const target = unstorableProblem(data.linkpath, 'symlink target')
      if (target !== undefined) throw new UsageError(`member ${quote(name)} refused: ${target}`)
      yield* tarHeaderBlocks(data, undefined)
      continue
    }
    const key = `${dev}:${ino}`
    const first = type === 'File' && (nlink ?? 1) > 1 ? firstNames.get(key) : undefined
    if (first !== undefined) {
      Object.assign(data, {type: 'Link', linkpath: first})
      yield* tarHeaderBlocks(data, undefined)
      await skip(reader, size, name)
      continue
    }
    if (type === 'File' && (nlink ?? 1) > 1) firstNames.set(key, name)
    if (type !== 'File') {
      yield* tarHeaderBlocks(data, undefined)
      await skip(reader, size, name)
      continue
    }
    data.size = size
    yield* tarHeaderBlocks(data, undefined)
    for (let done = 0; done < size; done += CHUNK) yield await reader.exactly(Math.min(CHUNK, size - done), name)
    const pad = tarPadding(size)
    if (pad.length > 0) yield pad
  }
  yield Buffer.alloc(1024)
}

async function skip(reader: ByteReader, size: number, name: string): Promise<void> {
  for (let done = 0; done < size; done += CHUNK) await reader.exactly(Math.min(CHUNK, size - done), name)
}
