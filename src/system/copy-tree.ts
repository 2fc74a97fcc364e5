// Faithful tree copy in Node: types, owners, modes (setuid/setgid/sticky), mtimes, symlinks, hard links and holes kept.
import {isUtf8} from 'node:buffer'
import * as fs from 'node:fs'
import type {Stats} from 'node:fs'
import path from 'node:path'

import {OperationError} from '../errors.js'
import {nameText} from './byte-names.js'
import {PATH_BUDGET, enterDirectory, inDirectory, joinName, leaveDirectory} from './cwd-walk.js'

/*
 * The walk uses lstat only, so a symlink is copied as a symlink and never followed, on the source side and on
 * the destination side (an overlay unlinks what is in the way instead of writing through it). A directory on
 * another device than the source root is refused: a copy never wanders into a mounted file system.
 * Per file: copyFile (a reflink where the file system can; it sets the source's mode, umask aside), lchown,
 * then chmod when the mode has setuid/setgid (chown clears them on Linux and FreeBSD), then utimes. Directories
 * are made mode 0700 first and get their owner, mode and mtime last, deepest first, so writing into them cannot
 * disturb their mtime and nobody else can enter while the copy runs. Files sharing an inode in the source
 * (nlink > 1) share one in the copy (link(2)). Device nodes, FIFOs and sockets are refused (a newjail or flavour
 * has none) unless `specials` is given (a jail's root): FIFOs are then listed for the caller to make (Node cannot
 * mkfifo) and sockets and device nodes, runtime objects, are left out and listed.
 *
 * Any name, any depth (src/system/cwd-walk.ts): the working directory follows the walk through the source, entered
 * by name one level at a time (each chdir checked against the lstat before it), and source entries are named
 * relative to it, as Buffers. Destination paths are absolute Buffers kept short: a directory whose path leaves no
 * room for one more name within PATH_BUDGET is made under a scratch directory at the top of the destination and
 * renamed to its place at the end, just before its owner, mode and mtime are set (an overlay moves an existing
 * one there and back). Below a source directory whose name is not UTF-8 (process.chdir takes strings only) the
 * walk names entries by relative paths, and refuses by name one that would pass PATH_BUDGET bytes: newjail and
 * flavours are the administrator's trees, unlike a jail's root. The copyFile seam takes strings (the source
 * relative to the working directory): a file whose name is not UTF-8 is copied by read/write instead, as is a
 * sparse file (fewer blocks than its size), whose all-zero chunks are not written and stay holes (ftruncate sets
 * the size). copyFile fills holes on Linux (copy_file_range on ext4: a 1 GiB file with 4 bytes of data came out
 * 1 GiB allocated in 3.8 s; read/write: 128 KiB in 2.8 s, reading the holes being most of it).
 *
 * Synchronous on purpose: a newjail is a few hundred small entries, five system calls each. Through the libuv
 * thread pool every call costs a thread hop and a promise; done in line the copy takes about half the time
 * (bench/create: 17-33 ms against 33-40 ms for 180 entries; `cp -a` 27-36 ms). Nothing else runs meanwhile,
 * which is also what lets the walk move the working directory of the whole process.
 */

/** The file copy a tree copy runs per regular file: Deps.fs (tests inject a full disk as copyFile throwing ENOSPC). */
export interface CopyFs {
  copyFile(source: string, destination: string, mode: number): void
}

export interface CopyOptions {
  /**
   * Merge into an existing destination (a flavour over a jail root): existing directories are kept as they
   * are, files and symlinks in the way are replaced. Without it the destination must not exist.
   */
  overlay?: boolean
  /** Relative paths (from the source root, `/`-separated) to leave out, with their subtrees. */
  skip?: (rel: string) => boolean
  /** The per-file copy (Deps.fs); the real one by default. */
  fs?: CopyFs
  /** Filled instead of refusing FIFOs, sockets and device nodes. */
  specials?: CopySpecials
}

/** A FIFO of the source: its relative path and what mkfifo cannot set. */
export interface FifoEntry {
  path: string
  mode: number
  uid: number
  gid: number
  atime: Date
  mtime: Date
}

export interface CopySpecials {
  /** FIFOs not copied: the caller makes them once the copy is done (their directories exist then). */
  fifos: FifoEntry[]
  /** Sockets and device nodes left out, by source path. */
  skipped: string[]
}

export interface CopyStats {
  files: number
  directories: number
  symlinks: number
  hardLinks: number
  bytes: number
}

/** copyFile(2)-style copy through Node: a reflink where the file system can make one. */
export const realCopyFs: CopyFs = {copyFile: (s, d, mode) => fs.copyFileSync(s, d, mode)}

/** Room a directory's destination path leaves for one more name (NAME_MAX, 255 bytes) and its slash. */
const DIRECTORY_BUDGET = PATH_BUDGET - 256
/** Read/write copies go by chunks of this size; an all-zero chunk is not written. */
const CHUNK = 128 * 1024
const HERE = Buffer.alloc(0)

interface Frame {
  /** The source directory relative to the working directory: empty once the walk entered it. */
  src: Buffer
  st: Stats
  /** Where its entries go: an absolute path of at most DIRECTORY_BUDGET bytes. */
  dest: Buffer
  /** From the source root, `/`-separated: for skip and messages. */
  rel: string
  /** Entries still to copy, the next one last. */
  names: Buffer[]
}

/** Copies SOURCE to DESTINATION faithfully; the first failure stops it and is thrown (the caller removes the copy). */
export function copyTree(source: string, destination: string, options: CopyOptions = {}): CopyStats {
  const ops: CopyFs = options.fs ?? realCopyFs
  const stats: CopyStats = {files: 0, directories: 0, symlinks: 0, hardLinks: 0, bytes: 0}
  const rootStat = fs.lstatSync(source)
  if (!rootStat.isDirectory()) throw new OperationError(`cannot copy ${source}: not a directory`)
  const target = path.resolve(destination)
  /** What each directory needs once its content is in place (its move home, owner, mode, mtime); run last first. */
  const finishing: Array<() => void> = []
  /** dev:ino of a multiply-linked source file → its first copy. */
  const inodes = new Map<string, Buffer>()
  let scratch: Buffer | undefined
  let parked = 0
  const sourcePath = (rel: string) => (rel === '' ? source : path.join(source, rel))
  const destinationPath = (rel: string) => (rel === '' ? destination : path.join(destination, rel))

  /** mkdir DEST, or in an overlay accept an existing directory there; true when it was made. */
  const makeOrFind = (dest: Buffer, rel: string): boolean => {
    try {
      fs.mkdirSync(dest, {mode: 0o700})
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || !options.overlay) throw error
      if (!fs.lstatSync(dest).isDirectory()) {
        throw new OperationError(`cannot copy directory onto ${destinationPath(rel)}: it exists and is not a directory`)
      }
      return false
    }
    stats.directories++
    return true
  }

  /** Makes (or finds) the directory DEST; returns the short path its entries go to until the end. */
  const makeDirectory = (dest: Buffer, st: Stats, rel: string): Buffer => {
    if (dest.length <= DIRECTORY_BUDGET) {
      if (makeOrFind(dest, rel)) finishing.push(() => setDirectoryMetadata(dest, st))
      return dest
    }
    if (scratch === undefined) {
      const made = Buffer.from(fs.mkdtempSync(path.join(target, '.tsez-deep-')))
      finishing.push(() => fs.rmdirSync(made))
      scratch = made
    }
    const away = joinName(scratch, Buffer.from(String(parked++)))
    const existing = options.overlay ? fs.lstatSync(dest, {throwIfNoEntry: false}) : undefined
    if (existing === undefined) {
      fs.mkdirSync(away, {mode: 0o700})
      stats.directories++
      finishing.push(() => {
        fs.renameSync(away, dest)
        setDirectoryMetadata(dest, st)
      })
    } else if (existing.isDirectory()) {
      fs.renameSync(dest, away)
      finishing.push(() => fs.renameSync(away, dest))
    } else {
      throw new OperationError(`cannot copy directory onto ${destinationPath(rel)}: it exists and is not a directory`)
    }
    return away
  }

  const copyFile = (src: Buffer, dest: Buffer, st: Stats, rel: string): void => {
    if (options.overlay) removeInTheWay(dest, destinationPath(rel))
    const key = `${st.dev}:${st.ino}`
    const first = st.nlink > 1 ? inodes.get(key) : undefined
    if (first !== undefined) {
      fs.linkSync(first, dest)
      stats.hardLinks++
      return
    }
    const sparse = st.blocks * 512 < st.size
    if (!sparse && isUtf8(src) && isUtf8(dest)) {
      ops.copyFile(src.toString(), dest.toString(), fs.constants.COPYFILE_FICLONE) // gives the copy the source's mode
    } else copyContent(src, dest, st)
    fs.lchownSync(dest, st.uid, st.gid)
    if ((st.mode & 0o6000) !== 0) fs.chmodSync(dest, st.mode & 0o7777) // chown cleared setuid/setgid
    fs.utimesSync(dest, st.atime, st.mtime)
    if (st.nlink > 1) inodes.set(key, dest)
    stats.files++
    stats.bytes += st.size
  }

  const copySymlink = (src: Buffer, dest: Buffer, st: Stats, rel: string): void => {
    if (options.overlay) removeInTheWay(dest, destinationPath(rel))
    fs.symlinkSync(fs.readlinkSync(src, {encoding: 'buffer'}), dest)
    fs.lchownSync(dest, st.uid, st.gid)
    fs.lutimesSync(dest, st.atime, st.mtime)
    stats.symlinks++
  }

  const list = (src: Buffer): Buffer[] => fs.readdirSync(src.length === 0 ? '.' : src, {encoding: 'buffer'}).reverse()

  inDirectory(source, rootStat, () => {
    const root = Buffer.from(target)
    if (makeOrFind(root, '')) finishing.push(() => setDirectoryMetadata(root, rootStat))
    const stack: Frame[] = [{src: HERE, st: rootStat, dest: root, rel: '', names: list(HERE)}]
    for (let frame = stack.at(-1); frame !== undefined; frame = stack.at(-1)) {
      const name = frame.names.pop()
      if (name === undefined) {
        stack.pop()
        const [parent, left] = [stack.at(-1), frame]
        if (parent !== undefined && left.src.length === 0) leaveDirectory(parent.st, () => sourcePath(left.rel))
        continue
      }
      // Names as byte-names.ts keeps them: a FIFO's path goes to mkfifo as its bytes (makeFifos)
      const rel = frame.rel === '' ? nameText(name) : `${frame.rel}/${nameText(name)}`
      if (options.skip?.(rel)) continue
      const src = joinName(frame.src, name)
      if (src.length > PATH_BUDGET) {
        throw new OperationError(
          `cannot copy ${sourcePath(rel)}: more than ${PATH_BUDGET} bytes of path below a directory whose name ` +
            'is not UTF-8 (Node cannot chdir into it); rename that directory',
        )
      }
      const st = fs.lstatSync(src)
      const dest = joinName(frame.dest, name)
      if (st.isFile()) copyFile(src, dest, st, rel)
      else if (st.isSymbolicLink()) copySymlink(src, dest, st, rel)
      else if (!st.isDirectory() && options.specials !== undefined) {
        if (st.isFIFO()) options.specials.fifos.push({path: rel, ...pick(st)})
        else options.specials.skipped.push(sourcePath(rel))
      } else if (!st.isDirectory()) {
        throw new OperationError(`cannot copy ${sourcePath(rel)}: device nodes, FIFOs and sockets are not copied`)
      } else if (st.dev !== rootStat.dev) {
        throw new OperationError(`refusing to copy ${sourcePath(rel)}: it is on another file system than ${source}`)
      } else {
        const into = makeDirectory(dest, st, rel)
        if (frame.src.length === 0 && isUtf8(name)) {
          enterDirectory(name.toString(), st, () => sourcePath(rel))
          stack.push({src: HERE, st, dest: into, rel, names: list(HERE)})
        } else stack.push({src, st, dest: into, rel, names: list(src)})
      }
    }
  })
  for (const finish of finishing.reverse()) finish()
  return stats
}

function pick(st: Stats): Omit<FifoEntry, 'path'> {
  return {mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, atime: st.atime, mtime: st.mtime}
}

function setDirectoryMetadata(dest: Buffer, st: Stats): void {
  fs.lchownSync(dest, st.uid, st.gid)
  fs.chmodSync(dest, st.mode & 0o7777)
  fs.utimesSync(dest, st.atime, st.mtime)
}

/** SRC's bytes into a new file DEST with SRC's mode, by chunks; all-zero chunks stay holes (ftruncate sets the size). */
function copyContent(src: Buffer, dest: Buffer, st: Stats): void {
  const input = fs.openSync(src, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW)
  try {
    const output = fs.openSync(dest, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o600)
    try {
      fs.fchmodSync(output, st.mode & 0o7777)
      const [data, zeros] = [Buffer.allocUnsafe(CHUNK), Buffer.alloc(CHUNK)]
      let offset = 0
      for (let read = readChunk(input, data, offset); read > 0; read = readChunk(input, data, offset)) {
        if (zeros.compare(data, 0, read, 0, read) !== 0) {
          let written = 0
          while (written < read) written += fs.writeSync(output, data, written, read - written, offset + written)
        }
        offset += read
      }
      fs.ftruncateSync(output, offset)
    } finally {
      fs.closeSync(output)
    }
  } finally {
    fs.closeSync(input)
  }
}

function readChunk(fd: number, data: Buffer, offset: number): number {
  return fs.readSync(fd, data, 0, CHUNK, offset)
}

/** Removes a file or symlink at DEST (never a directory, never through a symlink); absent is fine. */
function removeInTheWay(dest: Buffer, shown: string): void {
  const existing = fs.lstatSync(dest, {throwIfNoEntry: false})
  if (existing === undefined) return
  if (existing.isDirectory()) throw new OperationError(`cannot copy a file onto ${shown}: it is a directory`)
  fs.unlinkSync(dest)
}
