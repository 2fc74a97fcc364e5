// A jail's tree as pax tar blocks: owners, modes, hard links, symlinks, FIFOs and file flags (SCHILY.fflags), streamed.
import {isUtf8} from 'node:buffer'
import * as fs from 'node:fs'
import type {Stats} from 'node:fs'
import {promisify} from 'node:util'

import type {HeaderData} from 'tar'

import {tarHeaderBlocks, tarPadding} from '../dist/tar-write.js'
import {OperationError, quote} from '../errors.js'
import {describePath} from '../system/cwd-walk.js'
import {JailReader, openRegularFile} from '../system/tree-reader.js'

/** What goes under root/: the jail's own tree, never what is mounted in it, never another file system. */
export interface TreeScope {
  root: string
  /** Mount points strictly below the root (mount -p): kept as empty directories, their content left out. */
  mountPoints: string[]
}

const CHUNK = 1024 * 1024

/** Whether ABS goes into the archive: files, directories, symlinks and FIFOs of the root's file system. */
export function takes(scope: TreeScope, rootDev: number, abs: string, st: Stats): boolean {
  if (scope.mountPoints.some((point) => abs.startsWith(`${point}/`))) return false
  if (!st.isFile() && !st.isDirectory() && !st.isSymbolicLink() && !st.isFIFO()) return false
  return st.dev === rootDev || scope.mountPoints.includes(abs)
}

/** An entry of the tree: its path relative to the root ('' for the root), absolute path and lstat. */
export interface TreeEntry {
  rel: string
  abs: string
  st: Stats
  /** Whether it goes into the archive (takes); a directory not taken is not entered. */
  taken: boolean
}

/**
 * SCOPE's entries, depth first in name order, a directory before what it holds, read through a TreeReader (the
 * working directory goes down real directories one at a time, single names looked up): a jail archived running
 * (-f) may swap a directory for a symlink to the host meanwhile, and nothing outside the root is ever listed.
 * A directory that changed under the walk, or a name that is not UTF-8 (not supported), fails the archive.
 */
export function* treeEntries(scope: TreeScope, reader: JailReader): Generator<TreeEntry> {
  const rootDev = reader.device
  function* visit(rel: string, st: Stats): Generator<TreeEntry> {
    const abs = rel === '' ? scope.root : `${scope.root}/${rel}`
    const taken = takes(scope, rootDev, abs, st)
    yield {rel, abs, st, taken}
    if (!taken || !st.isDirectory() || scope.mountPoints.includes(abs)) return
    const children = reader.list(Buffer.from(rel))
    if (children === undefined) throw new OperationError(`${abs} changed while it was archived`)
    const named = children.map((child) => {
      if (!isUtf8(child.name)) {
        throw new OperationError(`cannot archive ${quote(describePath(abs, [child.name]))}: its name is not UTF-8`)
      }
      return {name: child.name.toString(), st: child.st}
    })
    for (const child of named.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      yield* visit(rel === '' ? child.name : `${rel}/${child.name}`, child.st)
    }
  }
  yield* visit('', fs.lstatSync(scope.root))
}

/**
 * SCOPE's tree as tar blocks named PREFIX/…, in treeEntries' order. FLAGS (absolute path → `schg,uarch`) become
 * SCHILY.fflags records, as bsdtar writes them. A second name of a file becomes a hard link to its first; a file
 * that shrinks while it is read, or is no longer the file listed (a FIFO or symlink swapped in), fails the archive.
 */
export async function* treeBlocks(
  scope: TreeScope,
  prefix: string,
  flags: ReadonlyMap<string, string>,
): AsyncGenerator<Buffer> {
  const reader = new JailReader(scope.root)
  const firstNames = new Map<string, string>()
  for (const {rel, abs, st, taken} of treeEntries(scope, reader)) {
    if (!taken) continue
    const name = rel === '' ? prefix : `${prefix}/${rel}`
    const data: HeaderData = {path: name, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: st.mtime, size: 0}
    const key = `${st.dev}:${st.ino}`
    const firstName = st.isFile() && st.nlink > 1 ? firstNames.get(key) : undefined
    if (st.isDirectory()) data.type = 'Directory'
    else if (st.isSymbolicLink()) Object.assign(data, {type: 'SymbolicLink', linkpath: linkOf(reader, rel, abs)})
    else if (st.isFIFO()) data.type = 'FIFO'
    else if (firstName !== undefined) Object.assign(data, {type: 'Link', linkpath: firstName})
    else Object.assign(data, {type: 'File', size: st.size})
    if (st.isFile() && st.nlink > 1 && firstName === undefined) firstNames.set(key, name)
    const fd = data.type === 'File' ? openListed(reader, rel, abs, st) : undefined
    try {
      yield* tarHeaderBlocks(data, flags.get(abs))
      if (fd !== undefined) yield* fileBlocks(fd, abs, st.size)
    } finally {
      if (fd !== undefined) fs.closeSync(fd)
    }
  }
}

/** The target of the symlink REL, read where the walk listed it. */
function linkOf(reader: JailReader, rel: string, abs: string): string {
  const reached = reader.at(Buffer.from(rel), (name) => {
    try {
      return fs.readlinkSync(name)
    } catch {
      return undefined
    }
  })
  const link = 'value' in reached ? reached.value : undefined
  if (link === undefined) throw new OperationError(`${abs} changed while it was archived`)
  return link
}

/** A descriptor of the regular file REL as the walk listed it (never a FIFO, symlink or another file by now). */
function openListed(reader: JailReader, rel: string, abs: string, st: Stats): number {
  const reached = reader.at(Buffer.from(rel), (name) => openRegularFile(name, st))
  const fd = 'value' in reached ? reached.value : undefined
  if (fd === undefined) throw new OperationError(`${abs} changed while it was archived`)
  return fd
}

const readAt = promisify(fs.read)

/** SIZE bytes of the open file FD, padded to the block size. */
async function* fileBlocks(fd: number, abs: string, size: number): AsyncGenerator<Buffer> {
  let done = 0
  while (done < size) {
    const chunk = Buffer.allocUnsafe(Math.min(CHUNK, size - done))
    const {bytesRead} = await readAt(fd, chunk, 0, chunk.length, done)
    if (bytesRead === 0) throw new OperationError(`${abs} shrank while it was archived`)
    done += bytesRead
    yield bytesRead === chunk.length ? chunk : chunk.subarray(0, bytesRead)
  }
  const pad = tarPadding(size)
  if (pad.length > 0) yield pad
}
