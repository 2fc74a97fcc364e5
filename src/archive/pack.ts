// Streams one jail into an archive file: metadata and files first, then root/ (node-tar), through the compressor.
import {createHash} from 'node:crypto'
import {createWriteStream} from 'node:fs'
import {open, rm} from 'node:fs/promises'
import {Readable, Transform} from 'node:stream'
import {pipeline} from 'node:stream/promises'

import {Header} from 'tar'

import {OperationError, describeError} from '../errors.js'
import {ARCHIVE_MEMBERS, type Compression} from '../jail/archive-format.js'
import type {Deps} from '../system/deps.js'
import {JailReader} from '../system/tree-reader.js'
import {treeBlocks, treeEntries, type TreeScope} from './tree-tar.js'

export type {TreeScope} from './tree-tar.js'

export interface TreeCount {
  entries: number
  bytes: number
  /** Sockets and device nodes: runtime objects, left out. */
  skipped: string[]
}

const BLOCK = 512

/** Counts what packTree will take (the metadata is written before the tree, so it is counted first). */
export function countTree(scope: TreeScope): TreeCount {
  const count: TreeCount = {entries: 0, bytes: 0, skipped: []}
  for (const {abs, st, taken} of treeEntries(scope, new JailReader(scope.root, {enterAnyName: true}))) {
    if (!taken) {
      const special = !st.isFile() && !st.isDirectory() && !st.isSymbolicLink() && !st.isFIFO()
      if (special && !scope.mountPoints.some((point) => abs.startsWith(`${point}/`))) count.skipped.push(abs)
      continue
    }
    count.entries++
    if (st.isFile()) count.bytes += st.size
  }
  return count
}

export interface PackedArchive {
  sha256: string
  size: number
}

/**
 * Writes TEMP (created exclusively, mode 0600): the small MEMBERS, then SCOPE's tree as root/ with FLAGS (absolute
 * path → file flags), compressed, and synced. Any failure (a file that cannot be read, the compressor, the write)
 * removes TEMP and throws an OperationError: a failed archive never looks like a finished one.
 */
export async function packArchive(
  temp: string,
  members: Array<{name: string; content: string}>,
  scope: TreeScope,
  flags: ReadonlyMap<string, string>,
  compression: Compression,
  deps: Deps,
): Promise<PackedArchive> {
  async function* tar(): AsyncGenerator<Buffer> {
    for (const member of members) yield* memberBlocks(member.name, member.content)
    yield* treeBlocks(scope, ARCHIVE_MEMBERS.root, flags)
    yield Buffer.alloc(2 * BLOCK)
  }
  const source = Readable.from(tar(), {objectMode: false})
  const program = compressorOf(compression)
  const compressor = program === undefined ? undefined : deps.run.stream(program[0], program[1], {stdin: source})
  const hash = createHash('sha256')
  let size = 0
  const tap = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk)
      size += chunk.length
      done(null, chunk)
    },
  })
  const written = pipeline(compressor?.stdout ?? source, tap, createWriteStream(temp, {flags: 'wx', mode: 0o600}))
  const steps: Array<Promise<unknown>> = compressor === undefined ? [written] : [written, compressor.done]
  try {
    await Promise.all(steps)
    const handle = await open(temp, 'r')
    try {
      await handle.sync()
    } finally {
      await handle.close()
    }
    return {sha256: hash.digest('hex'), size}
  } catch (error) {
    compressor?.kill()
    source.destroy()
    await Promise.allSettled(steps)
    await rm(temp, {force: true})
    throw error instanceof OperationError ? error : new OperationError(describeError(error), {cause: error})
  }
}

/** The compressor's argv: all cores for xz and zstd, output on stdout. */
export function compressorOf(compression: Compression): [string, string[]] | undefined {
  if (compression === 'xz') return ['xz', ['-T0', '-c']]
  if (compression === 'zstd') return ['zstd', ['-T0', '-q', '-c']]
  return undefined
}

/** One small regular file as tar blocks: header, content, padding to the block size. */
function* memberBlocks(name: string, content: string): Generator<Buffer> {
  const body = Buffer.from(content)
  const header = new Header({
    path: name,
    mode: 0o600,
    uid: 0,
    gid: 0,
    size: body.length,
    mtime: new Date(),
    type: 'File',
  })
  header.encode()
  if (header.block === undefined) throw new OperationError(`cannot encode the tar header of ${name}`)
  yield header.block
  yield body
  const pad = (BLOCK - (body.length % BLOCK)) % BLOCK
  if (pad > 0) yield Buffer.alloc(pad)
}
