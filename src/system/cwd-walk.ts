// The working directory as a directory handle: how tsez walks trees with names that are not UTF-8, at any depth.
import * as fs from 'node:fs'
import type {Stats} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {OperationError} from '../errors.js'
import {isRunning} from './pids.js'

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

/** This process's private directory (mode 0700) holding the door doorTo makes, once one was asked for. */
let doors: string | undefined

/**
 * A path in UTF-8 that leads to TARGET, an absolute path in bytes (a directory whose name is not UTF-8): a symlink
 * in a private directory of this process, which process.chdir (strings only) can take; undefined when TARGET is
 * longer than PATH_BUDGET (the kernel could not follow it). Whatever TARGET resolves to
 * when the chdir follows it, enterDirectory's check after the chdir is what makes entering safe: `.` must be the
 * directory lstat'ed in the walk's verified working directory (directories have one name, so an equal inode is the
 * same directory, however it was reached). The directory goes when the process exits; one left by a killed process
 * (its pid in the name) is removed by the next process that opens a door.
 */
export function doorTo(target: Buffer): string | undefined {
  if (target.length > PATH_BUDGET) return undefined
  if (doors === undefined) {
    removeDeadDoors()
    doors = fs.mkdtempSync(path.join(tmpdir(), `tsez-door-${process.pid}-`))
    const made = doors
    process.once('exit', () => removeDoorDirectory(made))
  }
  const door = path.join(doors, 'door')
  fs.rmSync(door, {force: true})
  fs.symlinkSync(target, door)
  return door
}

/** The door directories of processes that are gone (killed before their exit handler ran), when ours. */
function removeDeadDoors(): void {
  for (const name of fs.readdirSync(tmpdir())) {
    const pid = /^tsez-door-(\d+)-/.exec(name)?.[1]
    if (pid === undefined || Number(pid) === process.pid || isRunning(Number(pid))) continue
    const dir = path.join(tmpdir(), name)
    const st = fs.lstatSync(dir, {throwIfNoEntry: false})
    if (st?.isDirectory() === true && st.uid === process.getuid?.()) removeDoorDirectory(dir)
  }
}

/**
 * DIR's door, then DIR, each by one unlink or rmdir: never a recursive removal in the shared temporary directory,
 * where another user could swap what it would descend into. Anything else in DIR keeps it (and is not touched).
 */
function removeDoorDirectory(dir: string): void {
  try {
    fs.rmSync(path.join(dir, 'door'), {force: true})
    fs.rmdirSync(dir)
  } catch {
    // not a door directory as tsez makes them: left as it is
  }
}

function sameInode(a: Stats, b: Stats): boolean {
  return a.dev === b.dev && a.ino === b.ino
}
