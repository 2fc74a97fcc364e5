// Checks an archive's members (names, types, links, metadata) as its tar stream is read, before or while extracting.
import path from 'node:path'

import {Parser, type ReadEntry} from 'tar'

import {UsageError, describeError, quote} from '../errors.js'
import {safePath} from '../dist/extract.js'
import {ARCHIVE_MEMBERS, MAX_META_BYTES, parseArchiveMeta, type ArchiveMeta} from '../jail/archive-format.js'
import type {CommandRunner} from '../system/runner.js'
import {tarStreamOf, type OpenedArchive} from './archive-file.js'

export interface Inspection {
  meta: ArchiveMeta
  /** Members under the tree member. */
  entries: number
  /** The member holding the jail's tree: root (tsez) or ezjail. */
  tree: string
  /** That member's times, for a tree extracted into a directory that existed before (a dataset's mountpoint). */
  treeTimes?: {atime: Date; mtime: Date}
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
 * as it is (see ArchiveInspector); --dry-run's check. A restore checks while it extracts (service.ts).
 */
export async function inspectArchive(
  archive: OpenedArchive,
  run: CommandRunner,
  layout: ArchiveLayout = TSEZ_LAYOUT,
): Promise<Inspection> {
  const tar = tarStreamOf(archive, run)
  const inspector = new ArchiveInspector(archive.file, layout)
  try {
    for await (const chunk of tar.stream as AsyncIterable<Buffer>) inspector.write(chunk)
  } catch (error) {
    tar.kill()
    inspector.streamFailed(error)
  }
  inspector.decompressed(
    await tar.done.then(
      () => undefined,
      (error: unknown) => error,
    ),
  )
  return inspector.finish()
}

/**
 * Only the metadata: the archive is read up to the end of its first member, which must be LAYOUT's metadata and
 * valid; the decompressor is then stopped. The rest is checked as it is extracted.
 */
export async function readArchiveMeta(
  archive: OpenedArchive,
  run: CommandRunner,
  layout: ArchiveLayout,
): Promise<ArchiveMeta> {
  const tar = tarStreamOf(archive, run, {head: true})
  const inspector = new ArchiveInspector(archive.file, layout)
  try {
    for await (const chunk of tar.stream as AsyncIterable<Buffer>) {
      inspector.write(chunk)
      if (inspector.meta !== undefined) break
    }
  } catch (error) {
    inspector.streamFailed(error)
  } finally {
    tar.kill()
    await tar.done.catch(() => undefined)
  }
  if (inspector.meta === undefined) return inspector.finish().meta
  return inspector.meta
}

/**
 * Checks a tar stream written to it chunk by chunk, synchronously: each member is checked as its header is parsed,
 * so a caller that forwards a chunk only after write() returned never passes on a refused member. Refused unless:
 * the metadata first and valid (tsez-archive.json), then only the small files and the tree (root/...); no absolute
 * or `..` names, no member beneath a symlink or a file of the archive, no duplicate, hard links only to regular
 * files of the tree met before, no device nodes, FIFOs only in the tree; complete (end-of-archive marker,
 * decompressor content). write() and finish() throw the refusal (UsageError naming FILE).
 */
export class ArchiveInspector {
  meta: ArchiveMeta | undefined
  private readonly parser = new Parser({strict: true})
  private readonly kinds = new Map<string, Kind>([['', 'dir']])
  private failure: Error | undefined
  private count = 0
  private entries = 0
  private ended = false
  private treeTimes: Inspection['treeTimes']

  constructor(
    private readonly file: string,
    private readonly layout: ArchiveLayout,
  ) {
    const parser = this.parser
    parser.on('error', (error: unknown) => this.fail(error))
    parser.on('ignoredEntry', (entry: ReadEntry) =>
      this.fail(this.refuse(`unsupported member type ${entry.type} (${quote(entry.path)})`)),
    )
    parser.on('nullBlock', () => (this.ended = true))
    parser.on('eof', () => (this.ended = true))
    parser.on('entry', (entry: ReadEntry) => this.entry(entry))
  }

  /** The refusal, once there is one. */
  get refusal(): Error | undefined {
    return this.failure
  }

  write(chunk: Buffer): void {
    if (!this.failure) this.parser.write(chunk)
    if (this.failure) throw this.failure
  }

  /** The tar stream itself failed (the decompressor's output, a cpio re-encoding). */
  streamFailed(error: unknown): void {
    this.fail(error instanceof UsageError && !error.message.startsWith(this.file) ? this.refuse(error.message) : error)
  }

  /** How the decompressor ended: undefined when it exited 0. */
  decompressed(error: unknown): void {
    if (error !== undefined) this.fail(this.refuse(`damaged archive: ${describeError(error)}`))
  }

  /** After the whole stream: the end checks, and the inspection. */
  finish(): Inspection {
    if (!this.failure) this.parser.end()
    const {layout} = this
    if (this.meta === undefined) this.fail(this.refuse(`no ${layout.meta.shown}: not ${layout.kind}`))
    if (!this.ended) this.fail(this.refuse('truncated archive (no end-of-archive marker)'))
    if (this.kinds.get(layout.tree) !== 'dir') this.fail(this.refuse(`no ${layout.tree}/ member: not ${layout.kind}`))
    if (this.failure || this.meta === undefined) throw this.failure ?? this.refuse('no metadata')
    const {treeTimes} = this
    return {meta: this.meta, entries: this.entries, tree: layout.tree, ...(treeTimes === undefined ? {} : {treeTimes})}
  }

  private refuse(why: string): UsageError {
    return new UsageError(`${this.file}: ${why}`)
  }

  private fail(error: unknown): void {
    this.failure ??= error instanceof UsageError ? error : this.refuse(`damaged archive: ${describeError(error)}`)
  }

  private entry(entry: ReadEntry): void {
    this.ended = false
    try {
      const first = this.count++ === 0
      const rel = checkEntry(entry, first, this.layout, this.kinds, (why) => this.refuse(why))
      if (rel.startsWith(`${this.layout.tree}/`)) this.entries++
      if (rel === this.layout.tree && entry.mtime !== undefined) {
        this.treeTimes = {atime: entry.atime ?? entry.mtime, mtime: entry.mtime}
      }
      if (first) {
        const chunks: Buffer[] = []
        entry.on('data', (chunk: Buffer) => chunks.push(chunk))
        entry.on('end', () => {
          try {
            this.meta = this.layout.parseMeta(rel, Buffer.concat(chunks).toString('utf8'), this.file)
          } catch (error) {
            this.fail(error)
          }
        })
        return
      }
      if (this.meta === undefined && !this.failure) this.fail(this.refuse(`${this.layout.meta.shown} is incomplete`))
    } catch (error) {
      this.fail(error)
    }
    entry.resume()
  }
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
