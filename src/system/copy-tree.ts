// Faithful tree copy in Node: types, owners, modes (setuid/setgid/sticky), mtimes, symlinks and hard links kept.
import {constants} from 'node:fs'
import * as fsp from 'node:fs/promises'
import type {Stats} from 'node:fs'
import path from 'node:path'

import {OperationError, describeError} from '../errors.js'

/*
 * The walk uses lstat only, so a symlink is copied as a symlink and never followed, on the source side and on
 * the destination side (an overlay unlinks what is in the way instead of writing through it). A directory on
 * another device than the source root is refused: a copy never wanders into a mounted file system.
 * Per file: copyFile (a reflink where the file system can), lchown, then chmod (chown clears setuid/setgid on
 * Linux and FreeBSD), then utimes. Directories are made mode 0700 first and get their owner, mode and mtime
 * last, deepest first, so writing into them cannot disturb their mtime and nobody else can enter while the
 * copy runs. Files sharing an inode in the source (nlink > 1) share one in the copy (link(2)).
 * Device nodes, FIFOs and sockets are refused: a newjail or flavour has none.
 */

/** The operations a test may replace to inject failures (a full disk: copyFile rejecting with ENOSPC). */
export interface CopyFs {
  copyFile(source: string, destination: string, mode: number): Promise<void>
}

export interface CopyOptions {
  /**
   * Merge into an existing destination (a flavour over a jail root): existing directories are kept as they
   * are, files and symlinks in the way are replaced. Without it the destination must not exist.
   */
  overlay?: boolean
  /** Relative paths (from the source root, `/`-separated) to leave out, with their subtrees. */
  skip?: (rel: string) => boolean
  /** File operations in flight at once. */
  concurrency?: number
  fs?: Partial<CopyFs>
}

export interface CopyStats {
  files: number
  directories: number
  symlinks: number
  hardLinks: number
  bytes: number
}

const DEFAULT_CONCURRENCY = 16
const realFs: CopyFs = {copyFile: (s, d, mode) => fsp.copyFile(s, d, mode)}

/** Copies SOURCE to DESTINATION faithfully; on failure it stops early and throws (the caller removes the copy). */
export async function copyTree(source: string, destination: string, options: CopyOptions = {}): Promise<CopyStats> {
  const fs: CopyFs = {...realFs, ...options.fs}
  const limit = limiter(options.concurrency ?? DEFAULT_CONCURRENCY)
  const stats: CopyStats = {files: 0, directories: 0, symlinks: 0, hardLinks: 0, bytes: 0}
  const rootStat = await fsp.lstat(source)
  if (!rootStat.isDirectory()) throw new OperationError(`cannot copy ${source}: not a directory`)
  const createdDirs: Array<{dest: string; st: Stats; depth: number}> = []
  const inodes = new Map<string, Promise<string>>()
  let failure: unknown

  const guard = async (work: () => Promise<void>): Promise<void> => {
    try {
      await limit(async () => {
        if (failure === undefined) await work()
      })
    } catch (error) {
      failure ??= error
    }
  }

  const makeDirectory = async (dest: string, st: Stats, depth: number): Promise<void> => {
    try {
      await fsp.mkdir(dest, {mode: 0o700})
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || !options.overlay) throw error
      const existing = await fsp.lstat(dest)
      if (!existing.isDirectory()) {
        throw new OperationError(`cannot copy directory onto ${dest}: it exists and is not a directory`)
      }
      return
    }
    stats.directories++
    createdDirs.push({dest, st, depth})
  }

  const copyFile = async (src: string, dest: string, st: Stats): Promise<void> => {
    if (options.overlay) await removeInTheWay(dest)
    const key = `${st.dev}:${st.ino}`
    const first = st.nlink > 1 ? inodes.get(key) : undefined
    if (first !== undefined) {
      await fsp.link(await first, dest)
      stats.hardLinks++
      return
    }
    const copied = (async () => {
      await fs.copyFile(src, dest, constants.COPYFILE_FICLONE)
      await fsp.lchown(dest, st.uid, st.gid)
      await fsp.chmod(dest, st.mode & 0o7777)
      await fsp.utimes(dest, st.atime, st.mtime)
      return dest
    })()
    if (st.nlink > 1) inodes.set(key, copied)
    await copied
    stats.files++
    stats.bytes += st.size
  }

  const copySymlink = async (src: string, dest: string, st: Stats): Promise<void> => {
    if (options.overlay) await removeInTheWay(dest)
    await fsp.symlink(await fsp.readlink(src), dest)
    await fsp.lchown(dest, st.uid, st.gid)
    await fsp.lutimes(dest, st.atime, st.mtime)
    stats.symlinks++
  }

  const visit = async (rel: string, depth: number): Promise<void> => {
    const src = rel === '.' ? source : path.join(source, rel)
    const dest = rel === '.' ? destination : path.join(destination, rel)
    let st: Stats | undefined
    await guard(async () => {
      st = await fsp.lstat(src)
      if (st.isDirectory()) {
        if (st.dev !== rootStat.dev) {
          throw new OperationError(`refusing to copy ${src}: it is on another file system than ${source}`)
        }
        await makeDirectory(dest, st, depth)
      } else if (st.isFile()) await copyFile(src, dest, st)
      else if (st.isSymbolicLink()) await copySymlink(src, dest, st)
      else throw new OperationError(`cannot copy ${src}: device nodes, FIFOs and sockets are not copied`)
    })
    if (failure !== undefined || !st?.isDirectory()) return
    const names = await fsp.readdir(src).catch((error: unknown) => {
      failure ??= error
      return [] as string[]
    })
    const children = names.map((name) => (rel === '.' ? name : `${rel}/${name}`)).filter((c) => !options.skip?.(c))
    await Promise.all(children.map((child) => visit(child, depth + 1)))
  }

  await visit('.', 0)
  if (failure !== undefined) throw failure instanceof Error ? failure : new OperationError(describeError(failure))
  for (const dir of createdDirs.sort((a, b) => b.depth - a.depth)) {
    await fsp.lchown(dir.dest, dir.st.uid, dir.st.gid)
    await fsp.chmod(dir.dest, dir.st.mode & 0o7777)
    await fsp.utimes(dir.dest, dir.st.atime, dir.st.mtime)
  }
  return stats
}

/** Removes a file or symlink at DEST (never a directory, never through a symlink); absent is fine. */
async function removeInTheWay(dest: string): Promise<void> {
  const existing = await fsp.lstat(dest).catch(() => undefined)
  if (existing === undefined) return
  if (existing.isDirectory()) throw new OperationError(`cannot copy a file onto ${dest}: it is a directory`)
  await fsp.unlink(dest)
}

/** At most N tasks at once; a finished task hands its slot straight to the next waiter. */
function limiter(n: number): <T>(task: () => Promise<T>) => Promise<T> {
  let active = 0
  const waiting: Array<() => void> = []
  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (active < n) active++
    else await new Promise<void>((resolve) => waiting.push(resolve))
    try {
      return await task()
    } finally {
      const next = waiting.shift()
      if (next) next()
      else active--
    }
  }
}
