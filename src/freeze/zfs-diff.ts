// What a ZFS jail changed since the newjail snapshot it was cloned from, read from `zfs diff -FH` instead of a walk.
import * as fs from 'node:fs'

import type {CommandRunner} from '../system/runner.js'
import {ZfsError} from '../system/zfs.js'
import {type RelPath, type TreeChanges, under} from './tree-diff.js'

export interface ZfsDiffLine {
  change: '+' | '-' | 'M' | 'R'
  /** -F's file type: / directory, F file, @ symlink, ... */
  type: string
  path: Buffer
  /** R: the new path. */
  to?: Buffer
}

/** zfs prints a byte that is not printable, a space or a backslash as \ooo (octal). */
export function unescapeZfsPath(text: string): Buffer {
  const bytes: number[] = []
  const raw = Buffer.from(text, 'latin1')
  for (let i = 0; i < raw.length; i++) {
    const octal = raw[i] === 0x5c ? /^[0-7]{3}/.exec(raw.subarray(i + 1, i + 4).toString('latin1')) : null
    if (octal === null) bytes.push(raw[i]!)
    else {
      bytes.push(Number.parseInt(octal[0], 8))
      i += 3
    }
  }
  return Buffer.from(bytes)
}

/** `zfs diff -FH` lines: CHANGE<TAB>TYPE<TAB>PATH[<TAB>NEWPATH]; an R line may also read `OLD -> NEW`. */
export function parseZfsDiff(text: string): ZfsDiffLine[] {
  const lines: ZfsDiffLine[] = []
  for (const line of text.split('\n')) {
    const [change, type = '', first = '', second] = line.split('\t')
    if (change !== '+' && change !== '-' && change !== 'M' && change !== 'R') continue
    if (change !== 'R') lines.push({change, type, path: unescapeZfsPath(first)})
    else {
      const [from = '', to = ''] = second === undefined ? first.split(' -> ') : [first, second]
      lines.push({change, type, path: unescapeZfsPath(from), to: unescapeZfsPath(to)})
    }
  }
  return lines
}

/**
 * The changes of DATASET (mounted at ROOT) since ORIGIN: added, modified and renamed-to paths that are still there
 * (the walk's lstat rules: a directory on another device is left out), removed and renamed-from paths, topmost
 * only; SKIP (latin1 relative paths) left out with their subtrees.
 */
export async function zfsTreeChanges(
  run: CommandRunner,
  origin: string,
  dataset: string,
  root: string,
  skip: ReadonlySet<string>,
): Promise<TreeChanges> {
  const args = ['diff', '-FH', origin, dataset]
  const result = await run.tryRun('zfs', args)
  if (result.exitCode !== 0) throw new ZfsError(args, result)
  const prefix = Buffer.from(`${root.replace(/\/+$/, '')}/`)
  const relative = (p: Buffer): RelPath | undefined => {
    if (!p.subarray(0, prefix.length).equals(prefix) || p.length === prefix.length) return undefined
    const rel = p.subarray(prefix.length)
    const text = rel.toString('latin1')
    return [...skip].some((s) => text === s || text.startsWith(`${s}/`)) ? undefined : rel
  }
  const device = fs.lstatSync(root).dev
  const changed = new Map<string, RelPath>()
  const removed = new Map<string, RelPath>()
  for (const line of parseZfsDiff(result.stdout)) {
    if (line.change === 'R' && line.to && sameObject(line.path, line.to)) continue
    const gone = line.change === '-' || line.change === 'R' ? relative(line.path) : undefined
    // Gone only when nothing is there now, or a directory was replaced: zfs diff speaks of objects, and a
    // path whose object changed (or a second hard link) is still the jail's.
    const now = gone && fs.lstatSync(under(root, gone), {throwIfNoEntry: false})
    if (gone !== undefined && (now === undefined || (line.type === '/' && !now.isDirectory()))) {
      removed.set(gone.toString('latin1'), gone)
    }
    const here =
      line.change === 'R' ? line.to && relative(line.to) : line.change === '-' ? undefined : relative(line.path)
    if (here === undefined) continue
    const st = fs.lstatSync(under(root, here), {throwIfNoEntry: false})
    if (st !== undefined && !(st.isDirectory() && st.dev !== device)) changed.set(here.toString('latin1'), here)
  }
  const topmost = [...removed.keys()].filter((key) => !hasAncestorIn(key, removed))
  return {
    changed: [...changed.keys()].sort().map((key) => changed.get(key)!),
    removed: topmost.sort().map((key) => removed.get(key)!),
  }
}

/** Two names of one inode: a hard link reported as a rename, which leaves both names as they were. */
function sameObject(a: Buffer, b: Buffer): boolean {
  const [first, second] = [a, b].map((p) => fs.lstatSync(p, {throwIfNoEntry: false}))
  return first !== undefined && second !== undefined && first.dev === second.dev && first.ino === second.ino
}

function hasAncestorIn(key: string, set: ReadonlyMap<string, unknown>): boolean {
  for (let i = key.lastIndexOf('/'); i > 0; i = key.lastIndexOf('/', i - 1)) if (set.has(key.slice(0, i))) return true
  return false
}
