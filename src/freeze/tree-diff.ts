// What a jail's tree changed against the newjail: entries added or modified (by bytes, type, owner, mode) and removed.
import {isUtf8} from 'node:buffer'
import * as fs from 'node:fs'
import type {Stats} from 'node:fs'
import path from 'node:path'

import {describePath, doorTo, enterDirectory, inDirectory, leaveDirectory} from '../system/cwd-walk.js'
import {openRegularFile, type RelPath} from '../system/tree-reader.js'

export type {RelPath} from '../system/tree-reader.js'

export interface TreeChanges {
  /** Added or modified entries of the jail, parents before children. */
  changed: RelPath[]
  /** Paths of the newjail the jail no longer has (or has as another type), topmost only. */
  removed: RelPath[]
  /**
   * Directories whose content was not compared: named in bytes that are not UTF-8 (chdir takes UTF-8 only) with a
   * path too long for a door to them (cwd-walk.ts doorTo).
   */
  unentered: RelPath[]
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
 * Walks JAIL against TEMPLATE with lstat only (a symlink is compared as a symlink, never followed), the working
 * directory following the walk through the jail (system/tree-reader.ts: the jail may run and rename under the walk).
 * SKIP names relative paths (latin1) left out with their subtree: the basejail mount point, first-start scripts.
 * A directory on another device than the jail's root (something mounted under it) is left out too.
 */
export function diffAgainstTemplate(jail: string, template: string, skip: ReadonlySet<string>): TreeChanges {
  const changes: TreeChanges = {changed: [], removed: [], unentered: []}
  const top = fs.lstatSync(jail)
  const walk = (rel: RelPath, here: Stats, templateHasDir: boolean): void => {
    const names = fs.readdirSync('.', {encoding: 'buffer'}).sort((a, b) => Buffer.compare(a, b))
    const templateNames = templateHasDir ? fs.readdirSync(under(template, rel), {encoding: 'buffer'}) : []
    const present = new Set(names.map((name) => name.toString('latin1')))
    for (const name of names) {
      const child = joinRel(rel, name)
      if (skip.has(child.toString('latin1'))) continue
      const mine = fs.lstatSync(name, {throwIfNoEntry: false})
      if (mine === undefined || (mine.isDirectory() && mine.dev !== top.dev)) continue
      const theirs = templateHasDir ? fs.lstatSync(under(template, child), {throwIfNoEntry: false}) : undefined
      const sameType = theirs !== undefined && typeOf(theirs) === typeOf(mine)
      // A directory where the newjail has something else, or the reverse: create must remove the newjail's first
      if (theirs !== undefined && !sameType && (theirs.isDirectory() || mine.isDirectory())) {
        changes.removed.push(child)
      }
      if (!sameType || differs(name, mine, under(template, child), theirs)) changes.changed.push(child)
      if (!mine.isDirectory()) continue
      // A name chdir cannot take is entered through a door (cwd-walk.ts), when its path fits one
      const door = isUtf8(name) ? name.toString() : doorTo(under(path.resolve(jail), child))
      if (door === undefined) {
        changes.unentered.push(child)
        continue
      }
      const shown = () => describePath(jail, [child])
      enterDirectory(door, mine, shown)
      walk(child, mine, sameType)
      leaveDirectory(here, shown)
    }
    for (const name of templateNames) {
      const child = joinRel(rel, name)
      if (!present.has(name.toString('latin1')) && !skip.has(child.toString('latin1'))) changes.removed.push(child)
    }
  }
  inDirectory(jail, top, () => walk(Buffer.alloc(0), top, true))
  return changes
}

function typeOf(st: Stats): string {
  if (st.isDirectory()) return 'directory'
  if (st.isSymbolicLink()) return 'symlink'
  if (st.isFile()) return 'file'
  return 'special'
}

/**
 * Owner, mode, symlink target or contents differ (entries of one type); NAME is the jail's entry in the working
 * directory, THEIRS the newjail's by path. An entry that changed type meanwhile counts as differing.
 */
function differs(name: Buffer, st: Stats, theirs: Buffer, other: Stats): boolean {
  if (st.uid !== other.uid || st.gid !== other.gid || st.mode !== other.mode) return true
  if (st.isSymbolicLink()) {
    try {
      return !fs.readlinkSync(name, {encoding: 'buffer'}).equals(fs.readlinkSync(theirs, {encoding: 'buffer'}))
    } catch {
      return true
    }
  }
  if (st.isFile()) return st.size !== other.size || !sameBytes(name, st, theirs, other)
  return false
}

function sameBytes(name: Buffer, st: Stats, theirs: Buffer, other: Stats): boolean {
  const fa = openRegularFile(name, st)
  if (fa === undefined) return false
  const fb = openRegularFile(theirs, other)
  try {
    if (fb === undefined) return false
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
    if (fb !== undefined) fs.closeSync(fb)
  }
}
