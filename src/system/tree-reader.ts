// A jail's tree read while the jail may run: never through a symlink, never opening a FIFO or device, any depth.
import {isUtf8} from 'node:buffer'
import * as fs from 'node:fs'
import type {Stats} from 'node:fs'
import path from 'node:path'

import {OperationError} from '../errors.js'
import {describePath, doorTo, enterDirectory, inDirectory} from './cwd-walk.js'

/*
 * The jail's owner may rename, swap or replace anything under its root while tsez reads it (freeze, archive of a
 * running jail; renameat2's RENAME_EXCHANGE swaps a directory and a symlink to the host atomically). So a path
 * under the root is never handed to the kernel whole: the working directory goes down one real directory at a
 * time (cwd-walk.ts, each chdir checked against the lstat just before it, on the root's device), and only a single
 * name is looked up in the directory reached. A file is opened O_NOFOLLOW | O_NONBLOCK (a symlink or FIFO swapped
 * in cannot be followed or block the open) and kept only when fstat shows the regular file lstat saw. What changes
 * meanwhile may be caught half-written, as with any copy of a running system; what is outside the root is never
 * read. Every call is synchronous and gives the working directory back before it returns.
 */

/** A path under a jail's root: bytes, `/`-separated, no empty, `.` or `..` component. */
export type RelPath = Buffer

/** Why a path cannot be read: gone or no longer under real directories, or under a directory Node cannot enter. */
export type Unreachable = 'gone' | 'mounted' | 'not-utf8'

export type Reached<T> = {value: T} | {unreachable: Unreachable}

const SLASH = 0x2f
const SLASH_BYTE = Buffer.from('/')
const OPEN_FILE = fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK

/** The components of REL (as Buffers). */
export function components(rel: RelPath): Buffer[] {
  const parts: Buffer[] = []
  for (let start = 0; start <= rel.length;) {
    const slash = rel.indexOf(SLASH, start)
    const end = slash === -1 ? rel.length : slash
    parts.push(rel.subarray(start, end))
    start = end + 1
  }
  return parts
}

/** REL's directory (empty at the top) and last name. */
export function splitName(rel: RelPath): {dir: RelPath; name: Buffer} {
  const slash = rel.lastIndexOf(SLASH)
  return {dir: rel.subarray(0, Math.max(slash, 0)), name: rel.subarray(slash + 1)}
}

/** lstat of NAME in the working directory, undefined when it is not there. */
export function lstatName(name: Buffer): Stats | undefined {
  return fs.lstatSync(name, {throwIfNoEntry: false})
}

export class JailReader {
  private readonly top: Stats

  /**
   * With ENTER_ANY_NAME, a directory whose name is not UTF-8 is entered too, through a door (cwd-walk.ts doorTo)
   * when its absolute path fits PATH_BUDGET; else such a directory is not entered ('not-utf8').
   */
  constructor(
    readonly root: string,
    private readonly options: {enterAnyName?: boolean} = {},
  ) {
    this.top = fs.lstatSync(root)
  }

  /** Runs FN with REL's last name, the working directory in the directory holding it (see `inside`). */
  at<T>(rel: RelPath, fn: (name: Buffer) => T): Reached<T> {
    const {dir, name} = splitName(rel)
    return this.within(dir, () => fn(name))
  }

  /** The device of the root: a directory on another one is something mounted under the root. */
  get device(): number {
    return this.top.dev
  }

  /**
   * Every entry below the directory REL, parents before children, none on another device (nor below one);
   * directories below whose name is not UTF-8 are listed in `unentered` and not entered. A directory below REL
   * that changes while it is walked is refused (an OperationError).
   */
  descendants(rel: RelPath): {entries: RelPath[]; unentered: RelPath[]} {
    const found = {entries: [] as RelPath[], unentered: [] as RelPath[]}
    const walk = (dir: RelPath): void => {
      const reached = this.inside(components(dir), entriesHere)
      if (!('value' in reached)) {
        if (reached.unreachable === 'not-utf8') found.unentered.push(dir)
        else if (dir !== rel) {
          throw new OperationError(
            `${describePath(this.root, [dir])} changed while tsez was walking it; refusing to go on`,
          )
        }
        return
      }
      for (const {name, st} of reached.value.sort((a, b) => Buffer.compare(a.name, b.name))) {
        if (st.isDirectory() && st.dev !== this.top.dev) continue
        const child = Buffer.concat([dir, SLASH_BYTE, name])
        found.entries.push(child)
        if (st.isDirectory()) walk(child)
      }
    }
    walk(rel)
    return found
  }

  /**
   * The entries of the directory REL (the root when REL is empty), each with its lstat, read with the working
   * directory in it; or why REL is not a directory reached as `at` reaches one.
   */
  list(rel: RelPath): Reached<Array<{name: Buffer; st: Stats}>> {
    return this.within(rel, entriesHere)
  }

  /** Runs FN with the working directory in the directory REL (the root when REL is empty), reached as `at` does. */
  within<T>(rel: RelPath, fn: () => T): Reached<T> {
    return this.inside(rel.length === 0 ? [] : components(rel), fn)
  }

  /** lstat of REL, undefined when it is not there (or not reachable: see `at`). */
  lstat(rel: RelPath): Stats | undefined {
    const reached = this.at(rel, lstatName)
    return 'value' in reached ? reached.value : undefined
  }

  /**
   * Runs FN with the working directory in the directory PARTS name below the root, entered one real directory of
   * the root's file system at a time; or why it cannot be entered. A directory swapped for something else between
   * its lstat and the chdir is refused (an OperationError), as in every tsez walk.
   */
  private inside<T>(parts: readonly Buffer[], fn: () => T): Reached<T> {
    return inDirectory(this.root, this.top, (): Reached<T> => {
      for (const [i, part] of parts.entries()) {
        const st = fs.lstatSync(part, {throwIfNoEntry: false})
        if (st === undefined || !st.isDirectory()) return {unreachable: 'gone'}
        if (st.dev !== this.top.dev) return {unreachable: 'mounted'}
        const door = isUtf8(part) ? part.toString() : this.doorTo(parts.slice(0, i + 1))
        if (door === undefined) return {unreachable: 'not-utf8'} // process.chdir takes strings only
        const shown = () => describePath(this.root, parts.slice(0, i + 1))
        try {
          enterDirectory(door, st, shown)
        } catch (error) {
          if (!isCode(error, 'ENOENT', 'ENOTDIR')) throw error
          return {unreachable: 'gone'}
        }
      }
      return {value: fn()}
    })
  }

  /** A UTF-8 path to the directory PARTS name below the root, when this reader enters any name and it fits. */
  private doorTo(parts: readonly Buffer[]): string | undefined {
    if (this.options.enterAnyName !== true) return undefined
    return doorTo(Buffer.concat([Buffer.from(path.resolve(this.root)), ...parts.flatMap((part) => [SLASH_BYTE, part])]))
  }
}

/**
 * Opens NAME (in the working directory) for reading when it is the regular file ST describes: a descriptor,
 * or undefined when it is something else by now (a symlink, FIFO or another file swapped in, or gone).
 */
export function openRegularFile(name: Buffer | string, st: Stats): number | undefined {
  let fd: number
  try {
    fd = fs.openSync(name, OPEN_FILE)
  } catch (error) {
    // ELOOP (Linux) or EMLINK (FreeBSD): a symlink by now; ENXIO: a socket
    if (isCode(error, 'ENOENT', 'ELOOP', 'EMLINK', 'ENXIO', 'ENOTDIR')) return undefined
    throw error
  }
  const opened = fs.fstatSync(fd)
  if (opened.isFile() && opened.dev === st.dev && opened.ino === st.ino) return fd
  fs.closeSync(fd)
  return undefined
}

/** The entries of the working directory, each with its lstat (one gone since the listing is left out). */
function entriesHere(): Array<{name: Buffer; st: Stats}> {
  return fs.readdirSync('.', {encoding: 'buffer'}).flatMap((name) => {
    const st = fs.lstatSync(name, {throwIfNoEntry: false})
    return st === undefined ? [] : [{name, st}]
  })
}

function isCode(error: unknown, ...codes: string[]): boolean {
  return codes.includes((error as NodeJS.ErrnoException | undefined)?.code ?? '')
}
