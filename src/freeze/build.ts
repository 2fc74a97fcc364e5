// Writes a frozen flavour: the jail's changed entries (owners, modes, mtimes, symlinks, hard links) and tsez.remove.
import * as fs from 'node:fs'
import type {Stats} from 'node:fs'

import {REMOVE_LIST} from '../jail/flavour-remove.js'
import {PATH_BUDGET} from '../system/cwd-walk.js'
import {JailReader, openRegularFile, splitName, type RelPath, type Unreachable} from '../system/tree-reader.js'
import {type TreeChanges, under} from './tree-diff.js'

export interface FrozenCounts {
  entries: number
  removed: number
  /** Paths not carried: device nodes, FIFOs, sockets, a flavour's own file names, removals with a newline. */
  skipped: string[]
}

const SLASH = 0x2f
const NEWLINE = 0x0a
const CHUNK = 1 << 16
/** Entries of one directory copied in one visit of it. */
const RUN = 256
const CREATE = fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL
/** Top-level names a flavour keeps for itself (create's isFlavourMetadata): never a jail's file in a flavour. */
const FLAVOUR_FILES = new Set(['tsez.flavour', 'ezjail.flavour', REMOVE_LIST])

const UNREACHABLE: Record<Unreachable, string> = {
  gone: 'it changed while freeze read it',
  mounted: 'another file system is mounted above it',
  'not-utf8': `a directory above it is named in bytes that are not UTF-8, with a path past ${PATH_BUDGET} bytes`,
}

function isFlavourFileName(rel: RelPath): boolean {
  const name = rel.toString('latin1')
  return !rel.includes(SLASH) && (/^readme/i.test(name) || FLAVOUR_FILES.has(name))
}

/** `/REL` for a message: JSON's escapes for control characters, U+FFFD for bytes that are not UTF-8. */
function shown(rel: RelPath): string {
  return `/${JSON.stringify(rel.toString()).slice(1, -1)}`
}

/** Copies each of CHANGES.changed from JAIL into OUT (an empty directory), with the directories above it. */
export function writeFlavourTree(jail: string, changes: TreeChanges, out: string): FrozenCounts {
  const reader = new JailReader(jail, {enterAnyName: true})
  const made = new Set<string>([''])
  const inodes = new Map<string, Buffer>()
  const skipped = changes.unentered.map((rel) => `the content of ${shown(rel)} (${UNREACHABLE['not-utf8']})`)
  const directories: Array<{target: Buffer; st: Stats}> = []
  const makeDirectory = (rel: RelPath, st: Stats): void => {
    made.add(rel.toString('latin1'))
    const target = under(out, rel)
    fs.mkdirSync(target, {mode: 0o700})
    fs.chownSync(target, st.uid, st.gid)
    directories.push({target, st})
  }
  /** The directories above REL, as the jail has them; false when one is no longer a directory there. */
  const makeParents = (rel: RelPath): boolean => {
    for (let i = rel.indexOf(SLASH); i !== -1; i = rel.indexOf(SLASH, i + 1)) {
      const parent = rel.subarray(0, i)
      if (made.has(parent.toString('latin1'))) continue
      const st = reader.lstat(parent)
      if (!st?.isDirectory()) return false
      makeDirectory(parent, st)
    }
    return true
  }
  /** Writes REL's entry (NAME in the working directory, the jail's) at TARGET; why not, when it is not written. */
  const copyEntry = (rel: RelPath, name: Buffer, target: Buffer): string | undefined => {
    const st = fs.lstatSync(name, {throwIfNoEntry: false})
    if (st === undefined) return UNREACHABLE.gone
    if (st.isDirectory()) {
      if (!made.has(rel.toString('latin1'))) makeDirectory(rel, st)
    } else if (st.isSymbolicLink()) {
      let link: Buffer
      try {
        link = fs.readlinkSync(name, {encoding: 'buffer'})
      } catch {
        return UNREACHABLE.gone
      }
      fs.symlinkSync(link, target)
      fs.lchownSync(target, st.uid, st.gid)
      fs.lutimesSync(target, st.atime, st.mtime)
    } else if (st.isFile()) {
      const first = st.nlink > 1 ? inodes.get(`${st.dev}:${st.ino}`) : undefined
      if (first !== undefined) fs.linkSync(first, target)
      else {
        const fd = openRegularFile(name, st)
        if (fd === undefined) return UNREACHABLE.gone
        try {
          copyFromDescriptor(fd, target)
        } finally {
          fs.closeSync(fd)
        }
        fs.chownSync(target, st.uid, st.gid)
        fs.chmodSync(target, st.mode & 0o7777) // after chown, which clears setuid and setgid
        fs.utimesSync(target, st.atime, st.mtime)
        if (st.nlink > 1) inodes.set(`${st.dev}:${st.ino}`, target)
      }
    } else return 'not a file, directory or symlink'
    return undefined
  }
  let entries = 0
  const note = (rel: RelPath, problem: string | undefined): void => {
    if (problem === undefined) entries++
    else skipped.push(`${shown(rel)} (${problem})`)
  }
  // One descent into a directory for a run of its entries, not one per entry (a deep tree of many files)
  for (const run of runsByDirectory(changes.changed)) {
    const ready: Array<{rel: RelPath; target: Buffer}> = []
    for (const rel of run.entries) {
      const target = under(out, rel)
      if (isFlavourFileName(rel)) note(rel, "a flavour's own file name: create would not copy it into a jail")
      else if (target.length > PATH_BUDGET) note(rel, `its path in the flavour would pass ${PATH_BUDGET} bytes`)
      else ready.push({rel, target})
    }
    const [first] = ready
    if (first === undefined) continue
    if (!makeParents(first.rel)) {
      for (const {rel} of ready) note(rel, UNREACHABLE.gone)
      continue
    }
    const reached = reader.within(run.dir, () =>
      ready.map(({rel, target}) => copyEntry(rel, splitName(rel).name, target)),
    )
    ready.forEach(({rel}, i) => note(rel, 'value' in reached ? reached.value[i] : UNREACHABLE[reached.unreachable]))
  }
  // Modes last, deepest first: a directory of mode 0555 must not stop its own content being written.
  for (const {target, st} of directories.reverse()) {
    fs.chmodSync(target, st.mode & 0o7777)
    fs.utimesSync(target, st.atime, st.mtime)
  }
  const listed = changes.removed.filter((rel) => {
    if (!rel.includes(NEWLINE)) return true
    skipped.push(`removal of ${shown(rel)} (a newline in its name)`)
    return false
  })
  if (listed.length > 0) {
    const text = Buffer.concat(listed.flatMap((rel) => [rel, Buffer.from('\n')]))
    fs.writeFileSync(`${out}/${REMOVE_LIST}`, text, {mode: 0o644})
  }
  return {entries, removed: listed.length, skipped}
}

/** CHANGED in runs of entries of one directory DIR (consecutive, as the walk lists them), at most RUN a run. */
function* runsByDirectory(changed: RelPath[]): Generator<{dir: RelPath; entries: RelPath[]}> {
  let run: {dir: RelPath; entries: RelPath[]} | undefined
  for (const rel of changed) {
    const {dir} = splitName(rel)
    if (run !== undefined && run.dir.equals(dir) && run.entries.length < RUN) run.entries.push(rel)
    else {
      if (run !== undefined) yield run
      run = {dir, entries: [rel]}
    }
  }
  if (run !== undefined) yield run
}

/** Copies the open file FD into a new file TARGET (mode 0600 until the caller sets the jail's). */
function copyFromDescriptor(fd: number, target: Buffer): void {
  const output = fs.openSync(target, CREATE, 0o600)
  try {
    const buffer = Buffer.allocUnsafe(CHUNK)
    for (let position = 0; ;) {
      const read = fs.readSync(fd, buffer, 0, CHUNK, position)
      if (read === 0) return
      for (let offset = 0; offset < read;) offset += fs.writeSync(output, buffer, offset, read - offset)
      position += read
    }
  } finally {
    fs.closeSync(output)
  }
}
