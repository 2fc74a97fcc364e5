// What a jail's tree changed against the newjail: entries added or modified (by bytes, type, owner, mode) and removed.
import * as fs from 'node:fs'
import type {Stats} from 'node:fs'

/** A root-relative path as bytes (jail trees hold names that are not UTF-8), `/`-separated. */
export type RelPath = Buffer

export interface TreeChanges {
  /** Added or modified entries of the jail, parents before children. */
  changed: RelPath[]
  /** Paths of the newjail the jail no longer has (or has as another type), topmost only. */
  removed: RelPath[]
}

const SLASH = Buffer.from('/')
const CHUNK = 1 << 16

export function joinRel(rel: RelPath, name: Buffer): RelPath {
  return rel.length === 0 ? name : Buffer.concat([rel, SLASH, name])
}

export function under(root: string, rel: RelPath): Buffer {
  return rel.length === 0 ? Buffer.from(root) : Buffer.concat([Buffer.from(root), SLASH, rel])
}

/**
 * Walks JAIL against TEMPLATE with lstat only (a symlink is compared as a symlink, never followed). SKIP names
 * relative paths (latin1) left out with their subtree: the basejail mount point, first-start scripts. A directory
 * on another device than the jail's root (something mounted under it) is left out too.
 */
export function diffAgainstTemplate(jail: string, template: string, skip: ReadonlySet<string>): TreeChanges {
  const changes: TreeChanges = {changed: [], removed: []}
  const device = fs.lstatSync(jail).dev
  const walk = (rel: RelPath, templateHasDir: boolean): void => {
    const names = fs.readdirSync(under(jail, rel), {encoding: 'buffer'}).sort((a, b) => Buffer.compare(a, b))
    const templateNames = templateHasDir ? fs.readdirSync(under(template, rel), {encoding: 'buffer'}) : []
    const present = new Set(names.map((name) => name.toString('latin1')))
    for (const name of names) {
      const child = joinRel(rel, name)
      if (skip.has(child.toString('latin1'))) continue
      const mine = fs.lstatSync(under(jail, child))
      if (mine.isDirectory() && mine.dev !== device) continue
      const theirs = templateHasDir ? fs.lstatSync(under(template, child), {throwIfNoEntry: false}) : undefined
      if (theirs !== undefined && typeOf(theirs) !== typeOf(mine) && theirs.isDirectory()) changes.removed.push(child)
      const sameType = theirs !== undefined && typeOf(theirs) === typeOf(mine)
      if (!sameType || differs(under(jail, child), mine, under(template, child), theirs)) changes.changed.push(child)
      if (mine.isDirectory()) walk(child, sameType)
    }
    for (const name of templateNames) {
      const child = joinRel(rel, name)
      if (!present.has(name.toString('latin1')) && !skip.has(child.toString('latin1'))) changes.removed.push(child)
    }
  }
  walk(Buffer.alloc(0), true)
  return changes
}

function typeOf(st: Stats): string {
  if (st.isDirectory()) return 'directory'
  if (st.isSymbolicLink()) return 'symlink'
  if (st.isFile()) return 'file'
  return 'special'
}

/** Owner, mode, symlink target or contents differ (entries of one type). */
function differs(mine: Buffer, st: Stats, theirs: Buffer, other: Stats): boolean {
  if (st.uid !== other.uid || st.gid !== other.gid || st.mode !== other.mode) return true
  if (st.isSymbolicLink())
    return !fs.readlinkSync(mine, {encoding: 'buffer'}).equals(fs.readlinkSync(theirs, {encoding: 'buffer'}))
  if (st.isFile()) return st.size !== other.size || !sameBytes(mine, theirs)
  return false
}

function sameBytes(a: Buffer, b: Buffer): boolean {
  const fa = fs.openSync(a, 'r')
  const fb = fs.openSync(b, 'r')
  try {
    const ba = Buffer.alloc(CHUNK)
    const bb = Buffer.alloc(CHUNK)
    for (;;) {
      const na = fs.readSync(fa, ba, 0, CHUNK, null)
      const nb = fs.readSync(fb, bb, 0, CHUNK, null)
      if (na !== nb || !ba.subarray(0, na).equals(bb.subarray(0, nb))) return false
      if (na === 0) return true
    }
  } finally {
    fs.closeSync(fa)
    fs.closeSync(fb)
  }
}
