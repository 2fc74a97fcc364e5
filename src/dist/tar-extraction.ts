// The extraction engine extractTar runs in its worker thread: a tar stream into a directory as root, faithful to
// `bsdtar -xpf --numeric-owner`.
import {once} from 'node:events'
import fs from 'node:fs'

import {Parser, type ReadEntry} from 'tar'

import {OperationError, describeError} from '../errors.js'
import {fsPath} from '../system/byte-names.js'
import {ArchiveRefusal, ArchiveRules, PaxNotes, type MemberLayout} from './archive-rules.js'
import type {EntryMeta, ExtractedTree, ExtractProgress, ExtractResult, Kind} from './extract-result.js'
import {meta, safePath} from './tar-entry.js'

/** What the engine needs: extractTar's options less the signal, which its thread turns into `stop`. */
export interface EngineOptions {
  /** Called at most every 100 ms while extracting, and once more at the end with the totals. */
  onProgress?: (progress: ExtractProgress) => void
  /**
   * The tree an earlier extraction made in the same destination (lib32 over base): its directories are reused,
   * taking the owner, mode and mtime of their entries as bsdtar does; any other path of it is a duplicate entry.
   * Without it the destination must be empty.
   */
  over?: ExtractedTree
  /** Reserve FIFO entries (not devices) and report them in `fifos` rather than skipping them unchecked. */
  fifos?: boolean
  /** Called once, on the first failure (or `stop`): nothing more will be read. */
  onStop?: () => void
  /**
   * Restore's checks (archive-rules.ts), applied to every entry before anything of it is made: the first refusal
   * (an ArchiveRefusal naming `file`) stops the extraction and wins over any later failure, and so does a
   * damaged stream, or a stream ending without the metadata, the end-of-archive marker or the tree member.
   */
  gate?: EntryGate
}

/** Plain data (it crosses to extractTar's worker): the archive's name for refusals, and its layout. */
export interface EntryGate {
  file: string
  layout: MemberLayout
}

/** A running extraction: its result, and how to stop it (the first failure wins; the result then rejects). */
export interface RunningExtraction {
  result: Promise<ExtractResult>
  stop: (reason: unknown) => void
}

const PROGRESS_MS = 100
const {O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW} = fs.constants
const CREATE = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW

type Meta = EntryMeta

/**
 * Extracts an uncompressed tar stream into `destination`, which must exist and be empty (or hold just `over`).
 * File flags are only reported: the caller applies them after everything else (schg forbids later changes).
 * Rejects on the first problem: an unsafe path (absolute, `..`, beneath a symlink of the archive), a filesystem
 * error, an unsupported entry type, a damaged or truncated archive, or `stop`. Filesystem calls are synchronous on
 * purpose: this runs in its own thread (see extract.ts), one syscall after the other as bsdtar makes them, and its
 * input iterator is only asked for the next chunk once the previous one is on disk.
 */
export function startExtraction(
  input: AsyncIterable<Buffer>,
  destination: string,
  options: EngineOptions = {},
): RunningExtraction {
  const extraction = new Extraction(destination, input, options)
  return {result: extraction.run(), stop: (reason) => extraction.stopWith(reason)}
}

class Extraction {
  private readonly parser = new Parser({strict: true})
  private readonly stop = new AbortController()
  private readonly kinds: Map<string, Kind>
  private readonly dirs = new Map<string, Meta>()
  private readonly result: Omit<ExtractResult, 'tree'> = {entries: 0, flags: [], skipped: [], fifos: []}
  private failure: {error: unknown} | undefined
  /** The file being written, closed by a failure that interrupts it. */
  private fd: number | undefined
  private bytes = 0
  private lastProgress = 0
  private readonly notes = new PaxNotes()
  private atEndMarker = false
  /** The input has ended: a parser error now is one of the end checks. */
  private ending = false
  private readonly rules: ArchiveRules | undefined

  private readonly onProgress?: (progress: ExtractProgress) => void
  private readonly onStop?: () => void
  private readonly keepFifos: boolean

  constructor(
    private readonly root: string,
    private readonly input: AsyncIterable<Buffer>,
    options: EngineOptions,
  ) {
    this.onProgress = options.onProgress
    this.onStop = options.onStop
    this.keepFifos = options.fifos === true
    this.kinds = new Map([['', 'dir'], ...(options.over ?? [])])
    const rules = options.gate && new ArchiveRules(options.gate.file, options.gate.layout)
    this.rules = rules
    const parser = this.parser
    parser.on('error', (error: unknown) => this.fail(rules ? rules.damaged(describeError(error), this.ending) : error))
    parser.on('ignoredEntry', (entry: ReadEntry) =>
      rules ? this.fail(rules.unsupported(entry)) : this.fail(`unsupported entry type ${entry.type}`, entry.path),
    )
    // 'meta' carries the raw text of the pax header describing the next entry: node-tar itself drops fflags
    parser.on('meta', (text: string) => {
      this.atEndMarker = false
      try {
        this.notes.read(text)
      } catch (error) {
        this.fail(rules ? rules.damaged(describeError(error), false) : error)
      }
    })
    parser.on('nullBlock', () => this.markEnd())
    parser.on('eof', () => this.markEnd())
    parser.on('entry', (entry: ReadEntry) => this.handle(entry))
  }

  async run(): Promise<ExtractResult> {
    const ended = once(this.parser, 'end', {signal: this.stop.signal}).catch((error: unknown) => this.fail(error))
    await this.feed()
    await ended
    const {rules} = this
    const endRefusal = rules?.endRefusal()
    if (endRefusal) this.fail(endRefusal)
    else if (!rules && !this.failure && !this.atEndMarker) this.fail('truncated archive (no end-of-archive marker)')
    this.guard(undefined, () => this.finishDirs())
    if (this.failure) throw this.failure.error
    this.onProgress?.({entries: this.result.entries, bytes: this.bytes})
    const checked = rules && {entries: rules.entries, ...(rules.treeTimes ? {treeTimes: rules.treeTimes} : {})}
    return {...this.result, tree: this.kinds, ...(checked ? {checked} : {})}
  }

  /** The first failure wins: it stops reading and closes the file being written. */
  stopWith(error: unknown): void {
    if (this.failure) return
    this.failure = {error}
    this.stop.abort(error)
    const fd = this.fd
    this.fd = undefined
    try {
      if (fd !== undefined) fs.closeSync(fd)
    } catch {
      // the failure being reported already says what went wrong
    }
    this.onStop?.()
  }

  private fail(error: unknown, entryPath?: string): void {
    if (error instanceof ArchiveRefusal) return this.stopWith(error)
    const where = entryPath === undefined ? '' : ` at ${entryPath || '.'}`
    const message = error instanceof Error ? error.message : String(error)
    this.stopWith(new OperationError(`tar extraction failed${where}: ${message}`, {cause: error}))
  }

  private guard(entryPath: string | undefined, action: () => void): void {
    if (this.failure) return
    try {
      action()
    } catch (error) {
      this.fail(error, entryPath)
    }
  }

  private async feed(): Promise<void> {
    try {
      for await (const chunk of this.input) {
        if (this.failure) break
        this.bytes += chunk.length
        if (!this.parser.write(chunk)) await once(this.parser, 'drain', {signal: this.stop.signal})
      }
      this.ending = true
      if (!this.failure) this.parser.end()
    } catch (error) {
      this.fail(error)
    }
  }

  private handle(entry: ReadEntry): void {
    this.result.entries++
    const flags = this.notes.take(entry)
    this.guard(entry.path, () => {
      const rel = this.rules ? this.rules.check(entry) : safePath(entry.path)
      if (flags)
        this.result.flags.push({path: rel || '.', flags: this.rules ? this.rules.checkFlags(flags, rel) : flags})
      this.create(rel, entry)
    })
    entry.resume() // a no-op for files (already flowing); drains every other entry, and all of them after a failure
    const now = performance.now()
    if (this.onProgress && now - this.lastProgress >= PROGRESS_MS) {
      this.lastProgress = now
      this.onProgress({entries: this.result.entries, bytes: this.bytes})
    }
  }

  private create(rel: string, entry: ReadEntry): void {
    switch (entry.type) {
      case 'Directory':
        return this.directory(rel, meta(entry))
      case 'File':
      case 'OldFile':
      case 'ContiguousFile':
        return this.file(rel, entry, meta(entry))
      case 'SymbolicLink':
        return this.symlink(rel, entry.linkpath ?? '', meta(entry))
      case 'Link':
        if (entry.size > 0) throw new Error('hard link entries carrying data are not supported')
        return this.hardlink(rel, safePath(entry.linkpath ?? ''))
      case 'FIFO':
        if (this.keepFifos) {
          this.claim(rel, 'fifo')
          this.result.fifos.push({path: rel, ...meta(entry)})
        } else {
          this.result.skipped.push(rel)
        }
        return
      case 'CharacterDevice':
      case 'BlockDevice':
        this.result.skipped.push(rel)
        return
      default:
        throw new Error(`unsupported entry type ${entry.type}`)
    }
  }

  private markEnd(): void {
    this.atEndMarker = true
    this.rules?.markEnd()
  }

  private directory(rel: string, meta: Meta): void {
    const kind = this.kinds.get(rel)
    if (kind === undefined) {
      this.parent(rel)
      fs.mkdirSync(this.abs(rel), 0o700)
      this.kinds.set(rel, 'dir')
      this.dirs.set(rel, meta) // owner, mode and mtime once the whole tree exists (finishDirs)
    } else if (kind !== 'dir') {
      throw new Error(`duplicate entry: ${rel} was already extracted as a ${kind}`)
    } else if (this.dirs.has(rel)) {
      this.dirs.set(rel, meta) // a repeated entry: the last one wins
    } else {
      // It existed before its entry: the destination, a directory of an earlier set, or a parent made for an
      // earlier entry. Like bsdtar: owner, mode and mtime now, and whatever is made in it later moves the mtime.
      setDirectory(this.abs(rel), meta)
    }
  }

  private file(rel: string, entry: ReadEntry, meta: Meta): void {
    this.claim(rel, 'file')
    const fd = fs.openSync(this.abs(rel), CREATE, meta.mode & 0o777)
    this.fd = fd
    // 'end' first: attaching 'data' makes the entry flow, and an empty one ends right away
    entry.on('end', () =>
      this.guard(rel, () => {
        this.fd = undefined
        try {
          // chown before chmod: on Linux chown clears setuid/setgid even for root; chmod also undoes the umask
          fs.fchownSync(fd, meta.uid, meta.gid)
          fs.fchmodSync(fd, meta.mode)
          fs.futimesSync(fd, meta.atime, meta.mtime)
        } finally {
          fs.closeSync(fd)
        }
      }),
    )
    entry.on('data', (chunk: Buffer) => this.guard(rel, () => writeAll(fd, chunk)))
  }

  private symlink(rel: string, target: string, meta: Meta): void {
    this.claim(rel, 'symlink')
    const file = this.abs(rel)
    fs.symlinkSync(fsPath(target), file) // verbatim, absolute targets too: nothing here ever resolves it
    fs.lchownSync(file, meta.uid, meta.gid)
    fs.lutimesSync(file, meta.atime, meta.mtime)
  }

  /** Only to regular files: link(2) may follow a symlink (FreeBSD's does), which could reach outside the tree. */
  private hardlink(rel: string, target: string): void {
    if (this.kinds.get(target) !== 'file') {
      throw new Error(`hard link target ${target} is not a regular file extracted earlier`)
    }
    this.claim(rel, 'file')
    fs.linkSync(this.abs(target), this.abs(rel))
  }

  /** Reserves the path of a new non-directory, making its parent directories first. */
  private claim(rel: string, kind: Kind): void {
    const existing = this.kinds.get(rel)
    if (existing) throw new Error(`duplicate entry: ${rel || '.'} was already extracted as a ${existing}`)
    this.parent(rel)
    this.kinds.set(rel, kind)
  }

  /**
   * Makes the parent directories the archive has not made yet, like bsdtar (mode 0777 less the umask). Refuses
   * to write beneath a symlink or file of the archive; mkdir never follows or reuses an existing path.
   */
  private parent(rel: string): void {
    const slash = rel.lastIndexOf('/')
    const parent = slash < 0 ? '' : rel.slice(0, slash)
    const kind = this.kinds.get(parent)
    if (kind === 'dir') return
    if (kind === 'symlink') throw new Error(`refusing to extract ${rel} beneath the symlink ${parent}`)
    if (kind === 'file' || kind === 'fifo') throw new Error(`cannot extract ${rel}: ${parent} is not a directory`)
    this.parent(parent)
    fs.mkdirSync(this.abs(parent), 0o777)
    this.kinds.set(parent, 'dir')
  }

  /** Directory owners, modes and mtimes last: whatever is made inside a directory changes its mtime. */
  private finishDirs(): void {
    for (const [rel, meta] of this.dirs) setDirectory(this.abs(rel), meta)
  }

  /**
   * REL is safePath's: no empty, `.` or `..` component, so no normalising is needed (path.join's cost, per call).
   * Its bytes when a name in it is not UTF-8 (PaxNotes, byte-names.ts).
   */
  private abs(rel: string): string | Buffer {
    return rel === '' ? this.root : fsPath(`${this.root}/${rel}`)
  }
}

function setDirectory(dir: fs.PathLike, meta: Meta): void {
  fs.lchownSync(dir, meta.uid, meta.gid)
  fs.chmodSync(dir, meta.mode)
  fs.utimesSync(dir, meta.atime, meta.mtime)
}

function writeAll(fd: number, chunk: Buffer): void {
  for (let offset = 0; offset < chunk.length;) {
    const written = fs.writeSync(fd, chunk, offset)
    if (written === 0) throw new Error('write made no progress')
    offset += written
  }
}
