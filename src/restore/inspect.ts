// Reads an archive on this thread: its metadata, ahead of a restore's extraction, or all of it checked (--dry-run).
import {Parser, type ReadEntry} from 'tar'

import {UsageError, describeError} from '../errors.js'
import {ArchiveRefusal, ArchiveRules, PaxNotes, exactly, type MemberLayout} from '../dist/archive-rules.js'
import {ARCHIVE_MEMBERS, MAX_META_BYTES, parseArchiveMeta, type ArchiveMeta} from '../jail/archive-format.js'
import type {CommandRunner} from '../system/runner.js'
import {withScavenges} from '../system/scavenges.js'
import {tarStreamOf, type OpenedArchive, type TarStream} from './archive-file.js'

export interface Inspection {
  meta: ArchiveMeta
  /** Members under the tree member. */
  entries: number
  /** The member holding the jail's tree: root (tsez) or ezjail. */
  tree: string
  /** That member's times, for a tree extracted into a directory that existed before (a dataset's mountpoint). */
  treeTimes?: {atime: Date; mtime: Date}
}

/** What an archive holds, and where (tsez's own layout or ezjail's), and how its metadata reads. */
export interface ArchiveLayout {
  /** The members' layout: plain data, which the extraction worker's gate checks every member against. */
  members: MemberLayout
  /** The metadata as ArchiveMeta, or a UsageError: on this thread only, before the extraction. */
  parseMeta(rel: string, text: string, file: string): ArchiveMeta
}

export const TSEZ_LAYOUT: ArchiveLayout = {
  members: {
    kind: 'a tsez archive',
    meta: {shown: ARCHIVE_MEMBERS.meta, pattern: exactly(ARCHIVE_MEMBERS.meta)},
    small: [ARCHIVE_MEMBERS.conf, ARCHIVE_MEMBERS.fstab],
    smallBytes: MAX_META_BYTES,
    tree: ARCHIVE_MEMBERS.root,
  },
  parseMeta: (_rel, text, file) => parseArchiveMeta(text, file),
}

/** The refusal of FILE whose tar stream failed (the decompressor's output, an ezjail cpio re-encoding). */
export function streamRefusal(file: string, error: unknown): UsageError {
  if (!(error instanceof UsageError)) return new ArchiveRefusal(`${file}: damaged archive: ${describeError(error)}`)
  return error.message.startsWith(file) ? error : new ArchiveRefusal(`${file}: ${error.message}`)
}

/** The refusal of FILE whose decompressor failed (exited non-zero). */
export function damagedArchive(file: string, error: unknown): ArchiveRefusal {
  return new ArchiveRefusal(`${file}: damaged archive: ${describeError(error)}`, true)
}

/**
 * Reads the whole archive and refuses it (UsageError, exit 2) unless it is an archive of LAYOUT restore can take
 * as it is (see ArchiveRules); --dry-run's check. A restore's extraction worker checks as it extracts (service.ts).
 */
export async function inspectArchive(
  archive: OpenedArchive,
  run: CommandRunner,
  layout: ArchiveLayout = TSEZ_LAYOUT,
): Promise<Inspection> {
  const tar = tarStreamOf(archive, run)
  const inspector = new ArchiveInspector(archive.file, layout)
  try {
    for await (const chunk of withScavenges(tar.chunks)) inspector.write(chunk)
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

/** The metadata read ahead of a restore's extraction, and the whole tar stream for the extraction to read. */
export interface MetaAhead {
  meta: ArchiveMeta
  /** The chunks the metadata was read from, then the rest of the stream as it comes. */
  bytes: AsyncIterable<Buffer>
}

/**
 * Only the metadata, from the stream the extraction will read: TAR is read up to the end of its first member, which
 * must be LAYOUT's metadata and valid, and is left open there (the decompressor waits, or decodes ahead); the chunks
 * read are kept for the extraction, which reads and checks the archive from its first byte. One decompressor for
 * both. The caller stops TAR when it does not extract.
 */
export async function readMetaAhead(tar: TarStream, file: string, layout: ArchiveLayout): Promise<MetaAhead> {
  const inspector = new ArchiveInspector(file, layout)
  const reader = tar.chunks[Symbol.asyncIterator]()
  const read: Buffer[] = []
  let ended = false
  try {
    while (inspector.meta === undefined) {
      const next = await reader.next()
      if (next.done === true) {
        ended = true
        break
      }
      read.push(next.value)
      inspector.write(next.value)
    }
  } catch (error) {
    inspector.streamFailed(error)
  }
  const meta = inspector.meta ?? inspector.finish().meta
  async function* bytes(): AsyncGenerator<Buffer> {
    yield* read.splice(0)
    if (ended) return
    for (;;) {
      const next = await reader.next()
      if (next.done === true) return
      yield next.value
    }
  }
  return {meta, bytes: bytes()}
}

/**
 * Checks a tar stream written to it chunk by chunk, synchronously, against LAYOUT's rules (ArchiveRules, which
 * the extraction worker's gate applies too), and reads the metadata, its first member. write() and finish() throw
 * the refusal (UsageError naming FILE).
 */
export class ArchiveInspector {
  meta: ArchiveMeta | undefined
  private readonly parser = new Parser({strict: true})
  private readonly rules: ArchiveRules
  private failure: Error | undefined
  /** What the pax header just read says of the next member. */
  private readonly notes = new PaxNotes()
  /** The stream has ended: a parser error now comes after the stream's and the decompressor's failures. */
  private ending = false

  constructor(
    private readonly file: string,
    private readonly layout: ArchiveLayout,
  ) {
    const rules = new ArchiveRules(file, layout.members)
    this.rules = rules
    const parser = this.parser
    parser.on('error', (error: unknown) => this.fail(rules.damaged(describeError(error), this.ending)))
    parser.on('ignoredEntry', (entry: ReadEntry) => this.fail(rules.unsupported(entry)))
    parser.on('nullBlock', () => rules.markEnd())
    parser.on('eof', () => rules.markEnd())
    parser.on('meta', (text: string) => {
      try {
        this.notes.read(text)
      } catch (error) {
        this.fail(rules.damaged(describeError(error), this.ending))
      }
    })
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
    this.fail(streamRefusal(this.file, error))
  }

  /** How the decompressor ended: undefined when it exited 0. */
  decompressed(error: unknown): void {
    if (error !== undefined) this.fail(damagedArchive(this.file, error))
  }

  /** After the whole stream: the end checks, and the inspection. */
  finish(): Inspection {
    this.ending = true
    if (!this.failure) this.parser.end()
    const refusal = this.rules.endRefusal(this.meta !== undefined)
    if (refusal) this.fail(refusal)
    if (this.failure || this.meta === undefined) throw this.failure ?? this.rules.refuse('no metadata')
    const {treeTimes, entries} = this.rules
    const {tree} = this.layout.members
    return {meta: this.meta, entries, tree, ...(treeTimes === undefined ? {} : {treeTimes})}
  }

  private fail(error: unknown): void {
    this.failure ??= error instanceof UsageError ? error : this.rules.damaged(describeError(error))
  }

  private entry(entry: ReadEntry): void {
    try {
      const first = !this.rules.sawMeta
      const flags = this.notes.take(entry)
      const rel = this.rules.check(entry)
      if (flags !== undefined) this.rules.checkFlags(flags, rel)
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
      if (this.meta === undefined && !this.failure) {
        this.fail(this.rules.refuse(`${this.layout.members.meta.shown} is incomplete`))
      }
    } catch (error) {
      this.fail(error)
    }
    entry.resume()
  }
}
