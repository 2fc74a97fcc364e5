// The rules a jail archive's members must follow (restore's checks), as plain data: one implementation for the
// extraction worker's entry gate and for the main thread's full read (--dry-run).
import path from 'node:path'

import type {ReadEntry} from 'tar'

import {UsageError, quote} from '../errors.js'
import {nameText} from '../system/byte-names.js'
import {safePath} from './tar-entry.js'
import {RAW_LINKPATH, RAW_PATH} from './tar-write.js'

/** Where an archive keeps what, as plain data (it crosses to the extraction worker by structured clone). */
export interface MemberLayout {
  /** For refusals: "a tsez archive". */
  kind: string
  /** The metadata member, always first: its name as shown, and a RegExp source its relative path must match. */
  meta: {shown: string; pattern: string}
  /** The other small files allowed beside the tree. */
  small: readonly string[]
  /** The largest the metadata and the small files may be, in bytes. */
  smallBytes: number
  /** The member holding the jail's tree. */
  tree: string
}

/** A refusal of the archive (exit 2): `FILE: why`. `atEnd`: found by the end checks, after the whole stream. */
export class ArchiveRefusal extends UsageError {
  constructor(
    message: string,
    readonly atEnd = false,
  ) {
    super(message)
  }
}

/** What a member header shows the rules: node-tar's ReadEntry has all of it. */
export interface MemberHeader {
  path: string
  type: string
  size: number
  linkpath?: string
  atime?: Date
  mtime?: Date
}

/**
 * File flag names chflags(1) takes (strtofflags(3), FreeBSD), each also with `no` before it: what a SCHILY.fflags
 * record may hold. Anything else would reach chflags only after the whole extraction, to fail there.
 */
const FILE_FLAGS = new Set(
  (
    'arch archived dump opaque sappnd sappend schg schange simmutable snapshot sunlnk sunlink uappnd uappend ' +
    'uarch uarchive uchg uchange uimmutable uhidden hidden uoffline offline urdonly rdonly readonly usparse ' +
    'sparse usystem system ureparse reparse uunlnk uunlink'
  ).split(' '),
)

/** The SCHILY.fflags value of a pax header's text (node-tar drops the record: the text is read for it). */
function paxFileFlags(text: string): string | undefined {
  return /^\d+ SCHILY\.fflags=(.*)$/m.exec(text)?.[1] || undefined
}

/** A RegExp giving the value of the pax record KEY in a header's text. */
const recordOf = (key: string) => new RegExp(`^\\d+ ${key.replaceAll('.', '\\.')}=(.*)$`, 'm')

/** The pax records holding a name's and a link target's bytes, each with the RegExp that reads it. */
const RAW_RECORDS = [
  {key: RAW_PATH, field: 'path', record: recordOf(RAW_PATH)},
  {key: RAW_LINKPATH, field: 'linkpath', record: recordOf(RAW_LINKPATH)},
] as const

/**
 * What pax headers say of the member that follows them and node-tar drops or garbles: its file flags, and the
 * bytes of its name and link target when they are not UTF-8 (TSEZ.rawpath and TSEZ.rawlinkpath, hex: tar-write.ts).
 */
export class PaxNotes {
  private flags: string | undefined
  private names: {path?: string; linkpath?: string} = {}

  /** Takes in the text of a pax header (node-tar's 'meta'); throws on a raw name record that is not hex. */
  read(text: string): void {
    this.flags = paxFileFlags(text) ?? this.flags
    for (const {key, field, record} of RAW_RECORDS) {
      const hex = record.exec(text)?.[1]
      if (hex === undefined) continue
      if (!/^(?:[0-9a-f]{2})+$/.test(hex)) throw new Error(`its ${key} record is not hex bytes (${quote(hex)})`)
      this.names[field] = nameText(Buffer.from(hex, 'hex'))
    }
  }

  /** MEMBER with the names noted for it, and its flags; the notes then start afresh for the next member. */
  take(member: ReadEntry): string | undefined {
    const {flags, names} = this
    this.flags = undefined
    this.names = {}
    if (names.path !== undefined) member.path = names.path
    if (names.linkpath !== undefined) member.linkpath = names.linkpath
    return flags
  }
}

type Kind = 'dir' | 'file' | 'symlink' | 'other'

const FILE_TYPES = new Set(['File', 'OldFile', 'ContiguousFile'])
const OTHER_TYPES = new Set(['Directory', 'SymbolicLink', 'Link', 'FIFO'])

/**
 * Checks an archive's members one by one, in archive order. Refused unless: the metadata first (LAYOUT's name,
 * a small file), then only the small files and the tree; no absolute or `..` names, no member beneath a symlink or
 * a file of the archive, no duplicate, hard links only to regular files of the tree met before (carrying no data),
 * no device nodes, FIFOs only in the tree; complete (an end-of-archive marker, the metadata, the tree directory).
 * Every refusal is an ArchiveRefusal naming FILE.
 */
export class ArchiveRules {
  /** Members under the tree member. */
  entries = 0
  /** The tree member's times (for a tree extracted into a directory that existed before: a dataset's mountpoint). */
  treeTimes: {atime: Date; mtime: Date} | undefined
  private readonly kinds = new Map<string, Kind>([['', 'dir']])
  private readonly metaName: RegExp
  private count = 0
  private ended = false

  constructor(
    private readonly file: string,
    private readonly layout: MemberLayout,
  ) {
    this.metaName = new RegExp(layout.meta.pattern)
  }

  /** Whether a member passed as the metadata. */
  get sawMeta(): boolean {
    return this.count > 0
  }

  refuse(why: string, atEnd = false): ArchiveRefusal {
    return new ArchiveRefusal(`${this.file}: ${why}`, atEnd)
  }

  /** The tar stream could not be parsed (or a decompressor failed): a damaged archive. */
  damaged(why: string, atEnd = false): ArchiveRefusal {
    return this.refuse(`damaged archive: ${why}`, atEnd)
  }

  /** A member of a type the tar parser does not know. */
  unsupported(member: MemberHeader): ArchiveRefusal {
    return this.refuse(`unsupported member type ${member.type} (${quote(member.path)})`)
  }

  /** An end-of-archive marker (or the parser's end of file) was read. */
  markEnd(): void {
    this.ended = true
  }

  /** MEMBER's relative path once it passed every check; throws the refusal. */
  check(member: MemberHeader): string {
    this.ended = false
    const first = this.count === 0
    const rel = this.checkMember(member, first)
    this.count++
    if (rel.startsWith(`${this.layout.tree}/`)) this.entries++
    if (rel === this.layout.tree && member.mtime !== undefined) {
      this.treeTimes = {atime: member.atime ?? member.mtime, mtime: member.mtime}
    }
    return rel
  }

  /** FLAGS (a SCHILY.fflags value) of the member at REL, when chflags takes every name in it; throws the refusal. */
  checkFlags(flags: string, rel: string): string {
    const known = flags.split(',').every((flag) => FILE_FLAGS.has(flag.replace(/^no/, '')) || FILE_FLAGS.has(flag))
    if (!known) throw this.refuse(`member ${quote(rel)} carries file flags chflags does not know (${quote(flags)})`)
    return flags
  }

  /** After the whole stream: the refusal of an archive without its metadata, end marker or tree, if any. */
  endRefusal(hasMeta = this.sawMeta): ArchiveRefusal | undefined {
    const {kind, meta, tree} = this.layout
    if (!hasMeta) return this.refuse(`no ${meta.shown}: not ${kind}`, true)
    if (!this.ended) return this.refuse('truncated archive (no end-of-archive marker)', true)
    if (this.kinds.get(tree) !== 'dir') return this.refuse(`no ${tree}/ member: not ${kind}`, true)
    return undefined
  }

  private checkMember(member: MemberHeader, first: boolean): string {
    const {layout, kinds} = this
    let rel: string
    try {
      rel = safePath(member.path)
    } catch {
      throw this.refuse(`unsafe member name ${quote(member.path)} (absolute or with ..)`)
    }
    const shown = quote(member.path)
    const {type, size} = member
    const isFile = FILE_TYPES.has(type)
    const {tree} = layout
    if (first) {
      if (!this.metaName.test(rel) || !isFile) {
        throw this.refuse(`its first member is ${shown}, not ${layout.meta.shown}: not ${layout.kind}`)
      }
      if (size > layout.smallBytes) throw this.refuse(`${layout.meta.shown} is ${size} bytes: not ${layout.kind}`)
    }
    const inTree = rel.startsWith(`${tree}/`)
    const top = first ? [rel, ...layout.small] : layout.small
    if (top.includes(rel) && !(isFile && size <= layout.smallBytes)) {
      throw this.refuse(`member ${shown} is not a small file`)
    }
    if (rel === tree && type !== 'Directory') throw this.refuse(`member ${tree} is not a directory`)
    if (!inTree && rel !== tree && !top.includes(rel)) {
      throw this.refuse(`member ${shown} lies outside ${tree}/${type === 'FIFO' ? ' (a FIFO)' : ''}`)
    }
    if (type === 'CharacterDevice' || type === 'BlockDevice') throw this.refuse(`member ${shown} is a device node`)
    if (!isFile && !OTHER_TYPES.has(type)) throw this.refuse(`member ${shown} has unsupported type ${type}`)
    for (let parent = path.posix.dirname(rel); parent !== '.'; parent = path.posix.dirname(parent)) {
      const kind = kinds.get(parent)
      if (kind === 'symlink') throw this.refuse(`member ${shown} lies beneath the symlink ${quote(parent)}`)
      if (kind === 'file' || kind === 'other') {
        throw this.refuse(`member ${shown} lies beneath the non-directory ${quote(parent)}`)
      }
      if (kind === undefined) kinds.set(parent, 'dir')
    }
    const existing = kinds.get(rel)
    if (existing !== undefined && !(existing === 'dir' && type === 'Directory')) {
      throw this.refuse(`duplicate member ${shown}`)
    }
    if (type === 'Link') this.checkHardLink(member, shown)
    kinds.set(
      rel,
      isFile || type === 'Link' ? 'file' : type === 'Directory' ? 'dir' : type === 'SymbolicLink' ? 'symlink' : 'other',
    )
    return rel
  }

  private checkHardLink(member: MemberHeader, shown: string): void {
    const {tree} = this.layout
    const linkpath = member.linkpath ?? ''
    let target: string
    try {
      target = safePath(linkpath)
    } catch {
      throw this.refuse(`hard link ${shown} points to the unsafe name ${quote(linkpath)}`)
    }
    if (!target.startsWith(`${tree}/`) || this.kinds.get(target) !== 'file') {
      throw this.refuse(`hard link ${shown} points to ${quote(linkpath)}, not a file of ${tree}/ met before`)
    }
    if (member.size > 0) throw this.refuse(`hard link ${shown} carries data`)
  }
}

/** A RegExp source matching exactly NAME. */
export function exactly(name: string): string {
  return `^${name.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`
}
