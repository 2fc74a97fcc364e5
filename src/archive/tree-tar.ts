// A jail's tree as pax tar blocks: owners, modes, hard links, symlinks, FIFOs and file flags (SCHILY.fflags), streamed.
import * as fs from 'node:fs'
import type {Stats} from 'node:fs'
import {promisify} from 'node:util'

import type {HeaderData} from 'tar'

import {tarHeaderBlocks, tarPadding} from '../dist/tar-write.js'
import {OperationError, quote} from '../errors.js'
import {fsPath, nameBytes, nameText} from '../system/byte-names.js'
import {PATH_BUDGET} from '../system/cwd-walk.js'
import {JailReader, openRegularFile} from '../system/tree-reader.js'

/** What goes under root/: the jail's own tree, never what is mounted in it, never another file system. */
export interface TreeScope {
  root: string
  /** Mount points strictly below the root (mount -p): kept as empty directories, their content left out. */
  mountPoints: string[]
  /**
   * The directory the tree becomes on a restore on this host (restore's staging tree): an entry whose path there
   * would pass PATH_BUDGET fails the archive, as restore could not make it (its extraction names entries by path).
   */
  restoredUnder?: string
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
 * A directory's children, each with its lstat, in name order (names as nameText keeps them); undefined when it
 * changed (or went) meanwhile. Fails the archive: a directory whose name is not UTF-8 too deep to be entered (the
 * reader's door to it would be longer than PATH_BUDGET), and anything restore could not make (restoredUnder).
 */
function childrenOf(
  scope: TreeScope,
  reader: JailReader,
  rel: string,
  abs: string,
): Array<{name: string; st: Stats}> | undefined {
  const listed = reader.list(nameBytes(rel))
  if (!('value' in listed)) {
    if (listed.unreachable !== 'not-utf8') return undefined
    throw new OperationError(
      `cannot archive ${quote(abs)}: a directory whose path holds a name that is not UTF-8 and is longer than ${PATH_BUDGET} bytes`,
    )
  }
  // The bytes of a child's path restored here, less its name's
  const above = scope.restoredUnder === undefined ? 0 : Buffer.byteLength(`${scope.restoredUnder}/`) + relBytes(rel)
  const named = listed.value.map((child) => {
    if (scope.restoredUnder !== undefined && above + child.name.length > PATH_BUDGET) {
      throw new OperationError(
        `cannot archive ${quote(`${abs}/${nameText(child.name)}`)}: restored here its path would pass ${PATH_BUDGET} bytes (FreeBSD's PATH_MAX), which restore cannot make; move it nearer the root or shorten the names above it`,
      )
    }
    return {name: nameText(child.name), st: child.st}
  })
  return named.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
}

/**
 * SCOPE's entries, depth first in name order, a directory before what it holds, read through a TreeReader (the
 * working directory goes down real directories one at a time, single names looked up): a jail archived running
 * (-f) may swap a directory for a symlink to the host meanwhile, and nothing outside the root is ever listed.
 * A directory that changed under the walk fails the archive, and so do the names childrenOf refuses.
 */
export function* treeEntries(scope: TreeScope, reader: JailReader): Generator<TreeEntry> {
  const rootDev = reader.device
  function* visit(rel: string, st: Stats): Generator<TreeEntry> {
    const abs = rel === '' ? scope.root : `${scope.root}/${rel}`
    const taken = takes(scope, rootDev, abs, st)
    yield {rel, abs, st, taken}
    if (!taken || !st.isDirectory() || scope.mountPoints.includes(abs)) return
    const children = childrenOf(scope, reader, rel, abs)
    if (children === undefined) throw changed(abs)
    for (const child of children) yield* visit(rel === '' ? child.name : `${rel}/${child.name}`, child.st)
  }
  yield* visit('', fs.lstatSync(scope.root))
}

/** A taken entry as it goes into the archive: a symlink's target, a file's bytes or its open descriptor. */
interface Captured {
  entry: TreeEntry
  linkpath?: string
  /** A file's first name in the archive when this is its second (a hard link). */
  firstName?: string
  content?: Buffer
  fd?: number
}

/** Files up to this size are read while their directory is entered; larger ones are kept open and streamed. */
const SMALL_FILE = 256 * 1024
/** A batch read in one visit of a directory ends at this many entries, open descriptors or bytes read. */
const BATCH = {entries: 256, descriptors: 32, bytes: 2 * 1024 * 1024}

/** What a walk shares: the archive names of files with several links, the descriptors not yet closed. */
interface Capture {
  scope: TreeScope
  reader: JailReader
  prefix: string
  firstNames: Map<string, string>
  open: Set<number>
}

/**
 * SCOPE's tree as tar blocks named PREFIX/…, in treeEntries' order. FLAGS (absolute path → `schg,uarch`) become
 * SCHILY.fflags records, as bsdtar writes them. A second name of a file becomes a hard link to its first; a file
 * that shrinks while it is read, or is no longer the file listed (a FIFO or symlink swapped in), fails the archive.
 * The walk enters each directory once for up to BATCH of its files and symlinks (not once a file: a deep tree
 * of small files costs a descent per directory), reads the small ones there and keeps the large ones open.
 */
export async function* treeBlocks(
  scope: TreeScope,
  prefix: string,
  flags: ReadonlyMap<string, string>,
): AsyncGenerator<Buffer> {
  const reader = new JailReader(scope.root, {enterAnyName: true})
  const capture: Capture = {scope, reader, prefix, firstNames: new Map(), open: new Set()}
  const out = new Gather()
  try {
    for (const batch of capturedBatches(capture)) {
      for (const {entry, linkpath, firstName, content, fd} of batch) {
        const {rel, abs, st} = entry
        const data: HeaderData = {
          path: nameOf(prefix, rel),
          mode: st.mode & 0o7777,
          uid: st.uid,
          gid: st.gid,
          mtime: st.mtime,
          size: 0,
        }
        if (st.isDirectory()) data.type = 'Directory'
        else if (linkpath !== undefined) Object.assign(data, {type: 'SymbolicLink', linkpath})
        else if (st.isFIFO()) data.type = 'FIFO'
        else if (firstName !== undefined) Object.assign(data, {type: 'Link', linkpath: firstName})
        else Object.assign(data, {type: 'File', size: st.size})
        for (const block of tarHeaderBlocks(data, flags.get(abs))) out.add(block)
        if (content !== undefined) out.add(content, tarPadding(st.size))
        if (fd !== undefined) {
          if (out.pending()) yield out.take()
          yield* fileBlocks(fd, abs, st.size)
          out.add(tarPadding(st.size))
          capture.open.delete(fd)
          fs.closeSync(fd)
        }
        if (out.full()) yield out.take()
      }
    }
    if (out.pending()) yield out.take()
  } finally {
    for (const fd of capture.open) fs.closeSync(fd)
  }
}

/** The walk of treeEntries, taken entries only, files and symlinks captured in batches (see treeBlocks). */
function* capturedBatches(capture: Capture): Generator<Captured[]> {
  const {scope, reader} = capture
  function* visit(rel: string, st: Stats): Generator<Captured[]> {
    const abs = rel === '' ? scope.root : `${scope.root}/${rel}`
    if (!takes(scope, reader.device, abs, st)) return
    yield [{entry: {rel, abs, st, taken: true}}]
    if (!st.isDirectory() || scope.mountPoints.includes(abs)) return
    const children = childrenOf(scope, reader, rel, abs)
    if (children === undefined) throw changed(abs)
    const listed = children.map((child) => ({...child, rel: rel === '' ? child.name : `${rel}/${child.name}`}))
    for (let i = 0; i < listed.length;) {
      const child = listed[i]
      if (child?.st.isDirectory()) {
        yield* visit(child.rel, child.st)
        i++
        continue
      }
      const batch = captureRun(capture, rel, listed.slice(i, i + BATCH.entries))
      yield batch.captured
      i += batch.used
    }
  }
  yield* visit('', fs.lstatSync(scope.root))
}

/**
 * In the directory DIR, the leading non-directories of CHILDREN up to BATCH: symlinks read, small files read,
 * large ones opened (noted in capture.open); how many children it used. Entries not taken (sockets, devices) are
 * used and left out.
 */
function captureRun(
  capture: Capture,
  dir: string,
  children: Array<{name: string; rel: string; st: Stats}>,
): {captured: Captured[]; used: number} {
  const {scope, reader} = capture
  const captured: Captured[] = []
  let used = 0
  let descriptors = 0
  let bytes = 0
  const reached = reader.within(nameBytes(dir), () => {
    for (const {name, rel, st} of children) {
      if (st.isDirectory() || descriptors === BATCH.descriptors || bytes >= BATCH.bytes) break
      used++
      const abs = `${scope.root}/${rel}`
      if (!takes(scope, reader.device, abs, st)) continue
      const entry = {rel, abs, st, taken: true}
      if (st.isSymbolicLink()) captured.push({entry, linkpath: readLink(name, abs)})
      else if (!st.isFile()) captured.push({entry})
      else {
        const key = `${st.dev}:${st.ino}`
        const firstName = st.nlink > 1 ? capture.firstNames.get(key) : undefined
        if (firstName !== undefined) {
          captured.push({entry, firstName})
          continue
        }
        if (st.nlink > 1) capture.firstNames.set(key, nameOf(capture.prefix, rel))
        const fd = openRegularFile(fsPath(name), st)
        if (fd === undefined) throw changed(abs)
        if (st.size > SMALL_FILE) {
          capture.open.add(fd)
          descriptors++
          captured.push({entry, fd})
          continue
        }
        try {
          captured.push({entry, content: readWhole(fd, abs, st.size)})
          bytes += st.size
        } finally {
          fs.closeSync(fd)
        }
      }
    }
  })
  if (!('value' in reached)) throw changed(`${scope.root}/${dir}`.replace(/\/$/, ''))
  return {captured, used}
}

/** The bytes of REL and the slash after it (none for the root). */
function relBytes(rel: string): number {
  return rel === '' ? 0 : nameBytes(rel).length + 1
}

function nameOf(prefix: string, rel: string): string {
  return rel === '' ? prefix : `${prefix}/${rel}`
}

function changed(abs: string): OperationError {
  return new OperationError(`${abs} changed while it was archived`)
}

/** The target of the symlink NAME in the working directory, its bytes as nameText keeps them. */
function readLink(name: string, abs: string): string {
  try {
    return nameText(fs.readlinkSync(fsPath(name), {encoding: 'buffer'}))
  } catch {
    throw changed(abs)
  }
}

/** SIZE bytes of the open file FD, read now. */
function readWhole(fd: number, abs: string, size: number): Buffer {
  const content = Buffer.allocUnsafe(size)
  for (let done = 0; done < size;) {
    const bytesRead = fs.readSync(fd, content, done, size - done, done)
    if (bytesRead === 0) throw new OperationError(`${abs} shrank while it was archived`)
    done += bytesRead
  }
  return content
}

/** Small buffers gathered into one chunk of about CHUNK bytes: one write and one hash update, not one each. */
class Gather {
  private parts: Buffer[] = []
  private size = 0

  add(...buffers: Buffer[]): void {
    for (const buffer of buffers) {
      if (buffer.length === 0) continue
      this.parts.push(buffer)
      this.size += buffer.length
    }
  }

  full(): boolean {
    return this.size >= CHUNK
  }

  pending(): boolean {
    return this.size > 0
  }

  take(): Buffer {
    const [first] = this.parts
    const chunk = this.parts.length === 1 && first !== undefined ? first : Buffer.concat(this.parts, this.size)
    this.parts = []
    this.size = 0
    return chunk
  }
}

const readAt = promisify(fs.read)

/** SIZE bytes of the open file FD, read a CHUNK at a time. */
async function* fileBlocks(fd: number, abs: string, size: number): AsyncGenerator<Buffer> {
  let done = 0
  while (done < size) {
    const chunk = Buffer.allocUnsafe(Math.min(CHUNK, size - done))
    const {bytesRead} = await readAt(fd, chunk, 0, chunk.length, done)
    if (bytesRead === 0) throw new OperationError(`${abs} shrank while it was archived`)
    done += bytesRead
    yield bytesRead === chunk.length ? chunk : chunk.subarray(0, bytesRead)
  }
}
