// Writes a frozen flavour: the jail's changed entries (owners, modes, mtimes, symlinks, hard links) and tsez.remove.
import * as fs from 'node:fs'
import type {Stats} from 'node:fs'

import {REMOVE_LIST} from '../jail/flavour-remove.js'
import {type RelPath, type TreeChanges, under} from './tree-diff.js'

export interface FrozenCounts {
  entries: number
  removed: number
  /** Paths not carried: device nodes, FIFOs, sockets, a flavour's own file names, removals with a newline. */
  skipped: string[]
}

const SLASH = 0x2f
const NEWLINE = 0x0a
/** Top-level names a flavour keeps for itself (create's isFlavourMetadata): never a jail's file in a flavour. */
const FLAVOUR_FILES = new Set(['tsez.flavour', 'ezjail.flavour', REMOVE_LIST])

function isFlavourFileName(rel: RelPath): boolean {
  const name = rel.toString('latin1')
  return !rel.includes(SLASH) && (/^readme/i.test(name) || FLAVOUR_FILES.has(name))
}

/** Copies each of CHANGES.changed from JAIL into OUT (an empty directory), with the directories above it. */
export function writeFlavourTree(jail: string, changes: TreeChanges, out: string): FrozenCounts {
  const made = new Set<string>([''])
  const inodes = new Map<string, Buffer>()
  const skipped: string[] = []
  const directories: Array<{target: Buffer; st: Stats}> = []
  const ensureParents = (rel: RelPath): void => {
    for (let i = rel.indexOf(SLASH); i !== -1; i = rel.indexOf(SLASH, i + 1)) makeDirectory(rel.subarray(0, i))
  }
  const makeDirectory = (rel: RelPath): void => {
    const key = rel.toString('latin1')
    if (made.has(key)) return
    made.add(key)
    const st = fs.lstatSync(under(jail, rel))
    const target = under(out, rel)
    fs.mkdirSync(target, {mode: 0o700})
    fs.chownSync(target, st.uid, st.gid)
    directories.push({target, st})
  }
  let entries = 0
  for (const rel of changes.changed) {
    if (isFlavourFileName(rel)) {
      skipped.push(`/${rel.toString()} (a flavour's own file name: create would not copy it into a jail)`)
      continue
    }
    const source = under(jail, rel)
    const st = fs.lstatSync(source)
    ensureParents(rel)
    const target = under(out, rel)
    if (st.isDirectory()) makeDirectory(rel)
    else if (st.isSymbolicLink()) {
      fs.symlinkSync(fs.readlinkSync(source, {encoding: 'buffer'}), target)
      fs.lchownSync(target, st.uid, st.gid)
      fs.lutimesSync(target, st.atime, st.mtime)
    } else if (st.isFile()) {
      const first = st.nlink > 1 ? inodes.get(`${st.dev}:${st.ino}`) : undefined
      if (first !== undefined) fs.linkSync(first, target)
      else {
        fs.copyFileSync(source, target)
        fs.chownSync(target, st.uid, st.gid)
        fs.chmodSync(target, st.mode & 0o7777)
        fs.utimesSync(target, st.atime, st.mtime)
        if (st.nlink > 1) inodes.set(`${st.dev}:${st.ino}`, target)
      }
    } else {
      skipped.push(`/${rel.toString()} (not a file, directory or symlink)`)
      continue
    }
    entries++
  }
  // Modes last, deepest first: a directory of mode 0555 must not stop its own content being written.
  for (const {target, st} of directories.reverse()) {
    fs.chmodSync(target, st.mode & 0o7777)
    fs.utimesSync(target, st.atime, st.mtime)
  }
  const listed = changes.removed.filter((rel) => {
    if (!rel.includes(NEWLINE)) return true
    skipped.push(`removal of /${JSON.stringify(rel.toString()).slice(1, -1)} (a newline in its name)`)
    return false
  })
  if (listed.length > 0) {
    const text = Buffer.concat(listed.flatMap((rel) => [rel, Buffer.from('\n')]))
    fs.writeFileSync(`${out}/${REMOVE_LIST}`, text, {mode: 0o644})
  }
  return {entries, removed: listed.length, skipped}
}
