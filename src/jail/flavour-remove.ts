// A flavour's tsez.remove: paths deleted inside a new jail root, never through a symlink, never outside the root.
import * as fs from 'node:fs'

import {UsageError, quote} from '../errors.js'

/** The list of paths a flavour deletes, one root-relative path a line (written by `tsez freeze`). */
export const REMOVE_LIST = 'tsez.remove'

const SLASH = 0x2f
const NEWLINE = 0x0a

/**
 * The entries of a tsez.remove (bytes: names need not be UTF-8), each split into its components. Every entry is
 * checked before any is used: an absolute one, or one with an empty, `.` or `..` component, is refused whole.
 */
export function parseRemoveList(text: Buffer, file: string): Buffer[][] {
  const entries: Buffer[][] = []
  let start = 0
  let line = 0
  while (start < text.length) {
    let end = text.indexOf(NEWLINE, start)
    if (end === -1) end = text.length
    line++
    const entry = text.subarray(start, end)
    start = end + 1
    if (entry.length === 0) continue
    const parts = splitOn(entry, SLASH)
    const bad = parts.find((part) => part.length === 0 || part.equals(DOT) || part.equals(DOTDOT))
    if (entry[0] === SLASH || bad !== undefined) {
      throw new UsageError(
        `${file} line ${line}: ${quote(entry.toString('latin1'))} is not a relative path inside the jail (no leading /, no . or .. components)`,
      )
    }
    entries.push(parts)
  }
  return entries
}

const DOT = Buffer.from('.')
const DOTDOT = Buffer.from('..')

function splitOn(buffer: Buffer, byte: number): Buffer[] {
  const parts: Buffer[] = []
  let start = 0
  for (let i = 0; i <= buffer.length; i++) {
    if (i === buffer.length || buffer[i] === byte) {
      parts.push(buffer.subarray(start, i))
      start = i + 1
    }
  }
  return parts
}

/**
 * Deletes each entry of the flavour's FILE under ROOT: every component above the last must be a real directory
 * (a symlink or anything else there means the path is not in the jail: left alone), the last is removed whatever
 * it is (a directory with its subtree, a symlink itself). Missing paths are skipped. Returns how many were removed.
 */
export function applyRemoveList(root: string, file: string): number {
  const entries = parseRemoveList(fs.readFileSync(file), file)
  return entries.filter((parts) => removeInsideRoot(root, parts)).length
}

/**
 * Removes ROOT/PARTS (checked components) when every component above the last is a real directory, the last
 * whatever it is, never following a symlink. False when there was nothing there to remove.
 */
export function removeInsideRoot(root: string, parts: readonly Buffer[]): boolean {
  let dir = Buffer.from(root)
  for (const part of parts.slice(0, -1)) {
    dir = Buffer.concat([dir, Buffer.from('/'), part])
    const st = fs.lstatSync(dir, {throwIfNoEntry: false})
    if (st === undefined || !st.isDirectory()) return false
  }
  const last = parts.at(-1)
  if (last === undefined) return false
  const target = Buffer.concat([dir, Buffer.from('/'), last])
  const st = fs.lstatSync(target, {throwIfNoEntry: false})
  if (st === undefined) return false
  if (st.isDirectory()) fs.rmSync(target, {recursive: true})
  else fs.unlinkSync(target)
  return true
}
