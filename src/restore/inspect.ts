// Reads an archive before anything is written: its checksum, then every member checked (names, types, links, metadata).
import {createHash} from 'node:crypto'
import {once} from 'node:events'
import {open, readFile, stat, type FileHandle} from 'node:fs/promises'
import path from 'node:path'
import {Readable} from 'node:stream'
import {createGunzip} from 'node:zlib'

import {Parser, type ReadEntry} from 'tar'

import {UsageError, describeError, quote} from '../errors.js'
import {safePath} from '../dist/extract.js'
import {
  ARCHIVE_MEMBERS,
  MAX_META_BYTES,
  detectCompression,
  parseArchiveMeta,
  parseSha256File,
  type ArchiveMeta,
  type Compression,
} from '../jail/archive-format.js'
import type {CommandRunner} from '../system/runner.js'
import {ezjailTar, isGzip} from './ezjail-archive.js'

export interface OpenedArchive {
  file: string
  /** Held open from the checksum to the extraction: a file swapped in between is never read. */
  handle: FileHandle
  /** gzip: an ezjail archive (`ezjail-admin archive`), a cpio or tar inside. */
  compression: Compression | 'gzip'
}

/** Opens ARCHIVE: a non-empty regular file that is xz, zstd, a plain tar, or gzip (ezjail's). */
export async function openArchive(file: string): Promise<OpenedArchive> {
  const info = await stat(file).catch(() => undefined)
  if (info === undefined) throw new UsageError(`archive ${file} does not exist`)
  if (!info.isFile()) throw new UsageError(`archive ${file} is not a regular file`)
  if (info.size === 0) throw new UsageError(`archive ${file} is empty`)
  const handle = await open(file, 'r')
  const head = Buffer.alloc(512)
  const {bytesRead} = await handle.read(head, 0, 512, 0)
  const compression = isGzip(head.subarray(0, bytesRead)) ? 'gzip' : detectCompression(head.subarray(0, bytesRead))
  if (compression === undefined) {
    await handle.close()
    throw new UsageError(`archive ${file} is neither xz, zstd, a tar archive nor an ezjail archive (gzip)`)
  }
  return {file, handle, compression}
}

/** Compares the archive's sha256 with ARCHIVE.sha256 beside it (sha256sum's or BSD's format). */
export async function verifyChecksum(archive: OpenedArchive): Promise<string> {
  const sumFile = `${archive.file}.sha256`
  const info = await stat(sumFile).catch(() => undefined)
  if (info?.isFile() !== true || info.size > 64 * 1024) {
    throw new UsageError(`${sumFile} is missing or not a checksum file; give --no-verify to restore unchecked`)
  }
  const expected = parseSha256File(await readFile(sumFile, 'utf8'), path.basename(archive.file))
  if (expected === undefined) throw new UsageError(`${sumFile} has no sha256 for ${path.basename(archive.file)}`)
  const hash = createHash('sha256')
  for await (const chunk of archive.handle.createReadStream({start: 0, autoClose: false})) hash.update(chunk as Buffer)
  const actual = hash.digest('hex')
  if (actual !== expected) {
    throw new UsageError(`${archive.file}: checksum mismatch (sha256 ${actual}, ${sumFile} says ${expected})`)
  }
  return actual
}

export interface TarStream {
  stream: Readable
  /** Settles when the decompressor has exited (at once for a plain tar). */
  done: Promise<unknown>
  kill(): void
}

/**
 * The archive's tar bytes from the start, through `xz -dc` or `zstd -dc` as its first bytes say; an ezjail archive
 * through gunzip and, when it is a cpio (as `pax -x cpio` wrote it), re-encoded as tar.
 */
export function tarStreamOf(archive: OpenedArchive, run: CommandRunner): TarStream {
  const file = archive.handle.createReadStream({start: 0, autoClose: false})
  if (archive.compression === 'none') return {stream: file, done: Promise.resolve(), kill: () => file.destroy()}
  if (archive.compression === 'gzip') {
    const gunzip = createGunzip()
    file.on('error', (error) => gunzip.destroy(error))
    const stream = Readable.from(ezjailTar(file.pipe(gunzip)), {objectMode: false})
    return {stream, done: Promise.resolve(), kill: () => [file, gunzip, stream].forEach((s) => s.destroy())}
  }
  const program = archive.compression === 'xz' ? 'xz' : 'zstd'
  const args = archive.compression === 'xz' ? ['-dc', '-T0'] : ['-dc', '-q']
  const child = run.stream(program, args, {stdin: file})
  return {stream: child.stdout, done: child.done, kill: () => child.kill()}
}

export interface Inspection {
  meta: ArchiveMeta
  /** Members under the tree member. */
  entries: number
  /** The member holding the jail's tree: root (tsez) or ezjail. */
  tree: string
}

/** What an archive holds, and where: tsez's own layout or ezjail's. */
export interface ArchiveLayout {
  /** For refusals: "a tsez archive". */
  kind: string
  /** The metadata member, always first: its name, or a pattern for ezjail's prop.ezjail-TAG. */
  meta: {shown: string; matches(rel: string): boolean}
  /** The other small files allowed beside the tree. */
  small: readonly string[]
  /** The member holding the jail's tree. */
  tree: string
  /** The metadata as ArchiveMeta, or a UsageError. */
  parseMeta(rel: string, text: string, file: string): ArchiveMeta
}

export const TSEZ_LAYOUT: ArchiveLayout = {
  kind: 'a tsez archive',
  meta: {shown: ARCHIVE_MEMBERS.meta, matches: (rel) => rel === ARCHIVE_MEMBERS.meta},
  small: [ARCHIVE_MEMBERS.conf, ARCHIVE_MEMBERS.fstab],
  tree: ARCHIVE_MEMBERS.root,
  parseMeta: (_rel, text, file) => parseArchiveMeta(text, file),
}

type Kind = 'dir' | 'file' | 'symlink' | 'other'

/**
 * Reads the whole archive and refuses it (UsageError, exit 2) unless it is an archive of LAYOUT restore can take
 * as it is: the metadata first and valid (tsez-archive.json), then only the small files and the tree (root/...);
 * no absolute or `..` names, no member beneath a symlink or a file of the archive, no duplicate, hard links only
 * to regular files of the tree met before, no device nodes, FIFOs only in the tree; complete (end-of-archive
 * marker, decompressor content).
 */
export async function inspectArchive(
  archive: OpenedArchive,
  run: CommandRunner,
  layout: ArchiveLayout = TSEZ_LAYOUT,
): Promise<Inspection> {
  const tar = tarStreamOf(archive, run)
  const parser = new Parser({strict: true})
  const kinds = new Map<string, Kind>([['', 'dir']])
  let failure: Error | undefined
  let metaText: string | undefined
  let metaName = ''
  let metaParsed: ArchiveMeta | undefined
  let count = 0
  let entries = 0
  let ended = false
  const refuse = (why: string) => new UsageError(`${archive.file}: ${why}`)
  const fail = (error: unknown) => {
    failure ??= error instanceof UsageError ? error : refuse(`damaged archive: ${describeError(error)}`)
    tar.kill()
  }
  parser.on('error', fail)
  parser.on('ignoredEntry', (entry: ReadEntry) =>
    fail(refuse(`unsupported member type ${entry.type} (${quote(entry.path)})`)),
  )
  parser.on('nullBlock', () => (ended = true))
  parser.on('eof', () => (ended = true))
  parser.on('entry', (entry: ReadEntry) => {
    ended = false
    try {
      const first = count++ === 0
      const rel = checkEntry(entry, first, layout, kinds, refuse)
      if (rel.startsWith(`${layout.tree}/`)) entries++
      if (first) {
        metaName = rel
        const chunks: Buffer[] = []
        entry.on('data', (chunk: Buffer) => chunks.push(chunk))
        entry.on('end', () => (metaText = Buffer.concat(chunks).toString('utf8')))
        return
      }
      if (metaParsed === undefined && metaText !== undefined) {
        metaParsed = layout.parseMeta(metaName, metaText, archive.file)
      }
    } catch (error) {
      fail(error)
    }
    entry.resume()
  })
  try {
    for await (const chunk of tar.stream as AsyncIterable<Buffer>) {
      if (failure) break
      if (!parser.write(chunk)) await once(parser, 'drain')
    }
    if (!failure) parser.end()
  } catch (error) {
    fail(error instanceof UsageError ? refuse(error.message) : error)
  }
  const decompressed = await tar.done.then(
    () => undefined,
    (error: unknown) => error,
  )
  if (failure) throw failure
  if (decompressed !== undefined) throw refuse(`damaged archive: ${describeError(decompressed)}`)
  if (count === 0 || metaText === undefined) throw refuse(`no ${layout.meta.shown}: not ${layout.kind}`)
  const meta = metaParsed ?? layout.parseMeta(metaName, metaText, archive.file)
  if (!ended) throw refuse('truncated archive (no end-of-archive marker)')
  if (kinds.get(layout.tree) !== 'dir') throw refuse(`no ${layout.tree}/ member: not ${layout.kind}`)
  return {meta, entries, tree: layout.tree}
}

/** The member's relative path once it passed every check; throws the refusal. */
function checkEntry(
  entry: ReadEntry,
  first: boolean,
  layout: ArchiveLayout,
  kinds: Map<string, Kind>,
  refuse: (why: string) => Error,
): string {
  let rel: string
  try {
    rel = safePath(entry.path)
  } catch {
    throw refuse(`unsafe member name ${quote(entry.path)} (absolute or with ..)`)
  }
  const shown = quote(entry.path)
  const type = entry.type
  const isFile = type === 'File' || type === 'OldFile' || type === 'ContiguousFile'
  const {tree} = layout
  if (first) {
    if (!layout.meta.matches(rel) || !isFile) {
      throw refuse(`its first member is ${shown}, not ${layout.meta.shown}: not ${layout.kind}`)
    }
    if (entry.size > MAX_META_BYTES) throw refuse(`${layout.meta.shown} is ${entry.size} bytes: not ${layout.kind}`)
  }
  const inTree = rel.startsWith(`${tree}/`)
  const top = first ? [rel, ...layout.small] : layout.small
  if (top.includes(rel) && !(isFile && entry.size <= MAX_META_BYTES))
    throw refuse(`member ${shown} is not a small file`)
  if (rel === tree && type !== 'Directory') throw refuse(`member ${tree} is not a directory`)
  if (!inTree && rel !== tree && !top.includes(rel)) {
    throw refuse(`member ${shown} lies outside ${tree}/${type === 'FIFO' ? ' (a FIFO)' : ''}`)
  }
  if (type === 'CharacterDevice' || type === 'BlockDevice') throw refuse(`member ${shown} is a device node`)
  const known = ['Directory', 'SymbolicLink', 'Link', 'FIFO']
  if (!isFile && !known.includes(type)) throw refuse(`member ${shown} has unsupported type ${type}`)
  for (let parent = path.posix.dirname(rel); parent !== '.'; parent = path.posix.dirname(parent)) {
    const kind = kinds.get(parent)
    if (kind === 'symlink') throw refuse(`member ${shown} lies beneath the symlink ${quote(parent)}`)
    if (kind === 'file' || kind === 'other')
      throw refuse(`member ${shown} lies beneath the non-directory ${quote(parent)}`)
    if (kind === undefined) kinds.set(parent, 'dir')
  }
  const existing = kinds.get(rel)
  if (existing !== undefined && !(existing === 'dir' && type === 'Directory')) throw refuse(`duplicate member ${shown}`)
  if (type === 'Link') {
    let target: string
    try {
      target = safePath(entry.linkpath ?? '')
    } catch {
      throw refuse(`hard link ${shown} points to the unsafe name ${quote(entry.linkpath ?? '')}`)
    }
    if (!target.startsWith(`${tree}/`) || kinds.get(target) !== 'file') {
      throw refuse(`hard link ${shown} points to ${quote(entry.linkpath ?? '')}, not a file of ${tree}/ met before`)
    }
    if (entry.size > 0) throw refuse(`hard link ${shown} carries data`)
  }
  kinds.set(
    rel,
    isFile || type === 'Link' ? 'file' : type === 'Directory' ? 'dir' : type === 'SymbolicLink' ? 'symlink' : 'other',
  )
  return rel
}
