// Removing a jail root safely: never through a symlink, never into another file system, any name, any depth.
import {isUtf8} from 'node:buffer'
import * as fs from 'node:fs'
import type {Stats} from 'node:fs'

import {OperationError} from '../errors.js'
import {PATH_BUDGET, describePath, enterDirectory, inDirectory, joinName, leaveDirectory} from '../system/cwd-walk.js'

/*
 * A jail's user owns what is in its root: names of any bytes (not UTF-8, newlines, leading dashes) and chains of
 * directories deeper than any path a system call takes. Both walks keep the working directory at the directory
 * they work in and pass one-component Buffer names (src/system/cwd-walk.ts: each chdir is checked against the
 * lstat before it, the previous working directory is restored at the end). They are synchronous and iterative (a
 * stack of their own, not recursion): no depth exhausts anything but memory for one name per level.
 *
 * Only lstat is used: a symlink is unlinked as a link, whatever it points at, so data a jail links to outside its
 * root is never touched. Every directory's st_dev is compared with the root's: a directory on another device is a
 * mounted file system (a nullfs mount of host data, a devfs). findOtherDevice refuses before anything is removed;
 * the removal checks again before it enters each directory, in case something was mounted in between.
 *
 * The removal renames a directory whose name is not UTF-8 (which chdir cannot take) to a plain one before entering
 * it: it is about to go anyway. The scan must not change the tree, so it reaches into such a directory by relative
 * Buffer paths and stops where they would pass PATH_BUDGET bytes. Nothing can be mounted there: FreeBSD keeps a
 * mount point's path in MNAMELEN (1024) bytes, and mount -p, which delete reads first, lists every mount.
 */

interface RemovalFrame {
  /** The directory's name in its parent (after a rename) and as the jail had it, for messages. */
  name: Buffer
  shown: Buffer
  st: Stats
  /** Subdirectories still to remove; the files are gone by the time the frame is made. */
  dirs: Buffer[]
}

/** Removes ROOT and everything in it, staying on ROOT's device and never following a symlink; returns the count. */
export function removeTreeOnOneDevice(root: string): number {
  const top = fs.lstatSync(root)
  if (!top.isDirectory()) throw new OperationError(`${root} is not a directory (a symlink?); remove it by hand`)
  let removed = 0
  /** Unlinks everything in the working directory that is not a directory; returns the directories. */
  const clear = (): Buffer[] => {
    const dirs: Buffer[] = []
    for (const entry of fs.readdirSync('.', {encoding: 'buffer', withFileTypes: true})) {
      if (entry.isDirectory()) dirs.push(entry.name)
      else {
        fs.unlinkSync(entry.name)
        removed++
      }
    }
    return dirs
  }
  inDirectory(root, top, () => {
    const stack: RemovalFrame[] = [{name: Buffer.alloc(0), shown: Buffer.alloc(0), st: top, dirs: clear()}]
    const shown = (name: Buffer) => describePath(root, [...stack.slice(1).map((f) => f.shown), name])
    for (let frame = stack.at(-1); frame !== undefined; frame = stack.at(-1)) {
      const next = frame.dirs.pop()
      if (next === undefined) {
        stack.pop()
        const parent = stack.at(-1)
        if (parent === undefined) break
        const left = frame
        leaveDirectory(parent.st, () => shown(left.shown))
        fs.rmdirSync(left.name)
        removed++
        continue
      }
      const st = fs.lstatSync(next)
      if (!st.isDirectory()) {
        fs.unlinkSync(next) // replaced since readdir: whatever it is now, it is unlinked, not followed
        removed++
        continue
      }
      if (st.dev !== top.dev) {
        throw new OperationError(`${shown(next)} is on another file system (mounted?); unmount it and run delete again`)
      }
      const name = isUtf8(next) ? next : renameToPlainName(next)
      enterDirectory(name.toString(), st, () => shown(next))
      stack.push({name, shown: next, st, dirs: clear()})
    }
  })
  fs.rmdirSync(root)
  return removed + 1
}

/** Renames NAME (in the working directory) to an unused name chdir can take, and returns the new name. */
function renameToPlainName(name: Buffer): Buffer {
  for (let n = 0; ; n++) {
    const plain = Buffer.from(`.tsez-delete-${n}`)
    if (fs.lstatSync(plain, {throwIfNoEntry: false}) !== undefined) continue
    fs.renameSync(name, plain)
    return plain
  }
}

interface ScanFrame {
  name: Buffer
  /** Relative path from the working directory; empty when the walk entered the directory. */
  at: Buffer
  st: Stats
  /** Subdirectories still to scan. */
  dirs: Buffer[]
}

/** The first directory under ROOT on another device than ROOT, or undefined; ROOT must be a real directory. */
export function findOtherDevice(root: string): string | undefined {
  const top = fs.lstatSync(root)
  const subdirectories = (at: Buffer): Buffer[] =>
    fs
      .readdirSync(at.length === 0 ? '.' : at, {encoding: 'buffer', withFileTypes: true})
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name)
  return inDirectory(root, top, () => {
    const here = Buffer.alloc(0)
    const stack: ScanFrame[] = [{name: here, at: here, st: top, dirs: subdirectories(here)}]
    const shown = (name: Buffer) => describePath(root, [...stack.slice(1).map((f) => f.name), name])
    for (let frame = stack.at(-1); frame !== undefined; frame = stack.at(-1)) {
      const next = frame.dirs.pop()
      if (next === undefined) {
        stack.pop()
        const parent = stack.at(-1)
        const left = frame
        if (parent !== undefined && left.at.length === 0) leaveDirectory(parent.st, () => shown(left.name))
        continue
      }
      const at = joinName(frame.at, next)
      if (at.length > PATH_BUDGET) continue // below a name chdir cannot take, deeper than any mount point (above)
      const st = fs.lstatSync(at)
      if (!st.isDirectory()) continue
      if (st.dev !== top.dev) return shown(next)
      if (frame.at.length === 0 && isUtf8(next)) {
        enterDirectory(next.toString(), st, () => shown(next))
        stack.push({name: next, at: here, st, dirs: subdirectories(here)})
      } else stack.push({name: next, at, st, dirs: subdirectories(at)})
    }
    return undefined
  })
}
