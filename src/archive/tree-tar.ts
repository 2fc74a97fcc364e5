// A jail's tree as pax tar blocks: owners, modes, hard links, symlinks, FIFOs and file flags (SCHILY.fflags), streamed.
import {constants, type Stats} from 'node:fs'
import {lstat, open, readdir, readlink} from 'node:fs/promises'
import path from 'node:path'

import type {HeaderData} from 'tar'

import {tarHeaderBlocks, tarPadding} from '../dist/tar-write.js'
import {OperationError} from '../errors.js'

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

/**
 * SCOPE's tree as tar blocks named PREFIX/…, depth first in name order, a directory before what it holds. FLAGS
 * (absolute path → `schg,uarch`) become SCHILY.fflags records, as bsdtar writes them. A second name of a file
 * becomes a hard link to its first; a file that shrinks while it is read fails the archive.
 */
export async function* treeBlocks(
  scope: TreeScope,
  prefix: string,
  flags: ReadonlyMap<string, string>,
): AsyncGenerator<Buffer> {
  const rootDev = (await lstat(scope.root)).dev
  const firstNames = new Map<string, string>()
  async function* visit(abs: string, name: string): AsyncGenerator<Buffer> {
    const st = await lstat(abs)
    if (!takes(scope, rootDev, abs, st)) return
    const data: HeaderData = {path: name, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: st.mtime, size: 0}
    const key = `${st.dev}:${st.ino}`
    const firstName = st.isFile() && st.nlink > 1 ? firstNames.get(key) : undefined
    if (st.isDirectory()) data.type = 'Directory'
    else if (st.isSymbolicLink()) Object.assign(data, {type: 'SymbolicLink', linkpath: await readlink(abs)})
    else if (st.isFIFO()) data.type = 'FIFO'
    else if (firstName !== undefined) Object.assign(data, {type: 'Link', linkpath: firstName})
    else Object.assign(data, {type: 'File', size: st.size})
    if (st.isFile() && st.nlink > 1 && firstName === undefined) firstNames.set(key, name)
    yield* tarHeaderBlocks(data, flags.get(abs))
    if (data.type === 'File') yield* fileBlocks(abs, st.size)
    if (!st.isDirectory() || scope.mountPoints.includes(abs)) return
    for (const child of (await readdir(abs)).sort()) yield* visit(path.join(abs, child), `${name}/${child}`)
  }
  yield* visit(scope.root, prefix)
}

/** SIZE bytes of the file, padded to the block size; never follows a symlink swapped in since lstat. */
async function* fileBlocks(abs: string, size: number): AsyncGenerator<Buffer> {
  const handle = await open(abs, constants.O_RDONLY | constants.O_NOFOLLOW)
  try {
    let done = 0
    while (done < size) {
      const chunk = Buffer.allocUnsafe(Math.min(CHUNK, size - done))
      const {bytesRead} = await handle.read(chunk, 0, chunk.length, done)
      if (bytesRead === 0) throw new OperationError(`${abs} shrank while it was archived`)
      done += bytesRead
      yield bytesRead === chunk.length ? chunk : chunk.subarray(0, bytesRead)
    }
  } finally {
    await handle.close()
  }
  const pad = tarPadding(size)
  if (pad.length > 0) yield pad
}
