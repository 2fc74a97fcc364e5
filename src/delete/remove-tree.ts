// Removing a jail root safely: never through a symlink, never into another file system, never past a mount.
import {lstat, readdir, rmdir, unlink} from 'node:fs/promises'
import path from 'node:path'

import {OperationError} from '../errors.js'

/*
 * The walk uses lstat only: a symlink is unlinked as a link, whatever it points at, so data a jail links to
 * outside its root is never touched. Every directory's st_dev is compared with the root's: a directory on
 * another device is a mounted file system (a nullfs mount of host data, a devfs), and the scan refuses
 * before anything is removed; the removal checks again, in case something was mounted in between.
 */

/** The first directory under ROOT on another device than ROOT, or undefined; ROOT must be a real directory. */
export async function findOtherDevice(root: string): Promise<string | undefined> {
  const top = await lstat(root)
  const walk = async (dir: string): Promise<string | undefined> => {
    for (const entry of await readdir(dir, {withFileTypes: true})) {
      if (!entry.isDirectory()) continue
      const child = path.join(dir, entry.name)
      if ((await lstat(child)).dev !== top.dev) return child
      const found = await walk(child)
      if (found !== undefined) return found
    }
    return undefined
  }
  return walk(root)
}

/** Removes ROOT and everything in it, staying on ROOT's device and never following a symlink. */
export async function removeTreeOnOneDevice(root: string): Promise<number> {
  const top = await lstat(root)
  if (!top.isDirectory()) throw new OperationError(`${root} is not a directory (a symlink?); remove it by hand`)
  let removed = 0
  const remove = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, {withFileTypes: true})) {
      const child = path.join(dir, entry.name)
      if (entry.isDirectory()) {
        if ((await lstat(child)).dev !== top.dev) {
          throw new OperationError(`${child} is on another file system (mounted?); unmount it and run delete again`)
        }
        await remove(child)
      } else {
        await unlink(child)
        removed++
      }
    }
    await rmdir(dir)
    removed++
  }
  await remove(root)
  return removed
}
