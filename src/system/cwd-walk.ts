// The working directory as a directory handle: how tsez walks trees with names that are not UTF-8, at any depth.
import * as fs from 'node:fs'
import type {Stats} from 'node:fs'
import path from 'node:path'

import {OperationError} from '../errors.js'

/*
 * Node has no openat(2), unlinkat(2) or fchdir(2): every fs call takes a path, and the kernel refuses a path
 * longer than PATH_MAX (1024 bytes on FreeBSD, 4096 on Linux), while a tree may be any depth. Names are bytes:
 * Buffer paths reach every one, but process.chdir takes a string, i.e. UTF-8 only. So a walk keeps the working
 * directory at the directory it works in and passes one-component names, entering a child by name and checking
 * after each chdir that `.` is the directory it lstat'ed the moment before (and after `..` that it is the parent
 * it left): a directory swapped for a symlink in between is caught and refused, never walked. A child whose name
 * is not UTF-8 cannot be entered: the walker renames it when it owns the tree, or reaches into it by relative
 * Buffer paths up to PATH_BUDGET bytes. Walks are synchronous: the working directory belongs to the whole process,
 * and no other code may run (and resolve a relative path) while a walk has moved it.
 */

/** The longest path handed to a system call: FreeBSD's PATH_MAX, 1024 bytes, holds the NUL. */
export const PATH_BUDGET = 1023

/** DIR/NAME as bytes. */
export function joinName(dir: Buffer, name: Buffer): Buffer {
  return dir.length === 0 ? name : Buffer.concat([dir, Buffer.from('/'), name])
}

/** ROOT/NAMES... for a message (bytes that are not UTF-8 show as U+FFFD). */
export function describePath(root: string, names: Buffer[]): string {
  return path.join(root, ...names.map((name) => name.toString()))
}

/** Runs FN with the working directory at DIR (lstat'ed as TOP) and restores the previous one, whatever happens. */
export function inDirectory<T>(dir: string, top: Stats, fn: () => T): T {
  const home = process.cwd()
  try {
    enterDirectory(dir, top, () => dir)
    return fn()
  } finally {
    try {
      process.chdir(home)
    } catch {
      process.chdir('/') // the previous working directory was inside a tree just removed
    }
  }
}

/** chdir into NAME and check that `.` is the directory lstat'ed as EXPECTED; SHOWN names it in the refusal. */
export function enterDirectory(name: string, expected: Stats, shown: () => string): void {
  process.chdir(name)
  if (!sameInode(fs.lstatSync('.'), expected)) {
    throw new OperationError(`${shown()} changed while tsez was walking it (a symlink swapped in?); refusing to go on`)
  }
}

/** chdir to `..` and check that it is PARENT, the directory the walk came from; SHOWN names the child. */
export function leaveDirectory(parent: Stats, shown: () => string): void {
  process.chdir('..')
  if (!sameInode(fs.lstatSync('.'), parent)) {
    throw new OperationError(`${shown()} was moved while tsez was walking it; refusing to go on`)
  }
}

function sameInode(a: Stats, b: Stats): boolean {
  return a.dev === b.dev && a.ino === b.ino
}
