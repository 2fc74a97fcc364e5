// What a ZFS jail changed since the newjail snapshot it was cloned from, read from `zfs diff -FH` instead of a walk.
import type {Stats} from 'node:fs'

import type {CommandRunner} from '../system/runner.js'
import {ZfsError} from '../system/zfs.js'
import {JailReader, lstatName, splitName, type Reached, type RelPath} from '../system/tree-reader.js'
import type {TreeChanges} from './tree-diff.js'

export interface ZfsDiffLine {
  change: '+' | '-' | 'M' | 'R'
  /** -F's file type: / directory, F file, @ symlink, ... */
  type: string
  path: Buffer
  /** R: the new path. */
  to?: Buffer
}

/**
 * OpenZFS prints each byte that is not printable ASCII (a space, a control character, DEL, any byte from 0x80) and
 * each backslash as a backslash and four octal digits, `\\%04hho` in libzfs_diff.c: a space is \0040, `é` in
 * UTF-8 \0303\0251. Any other backslash is kept as it is.
 */
export function unescapeZfsPath(text: string): Buffer {
  const bytes: number[] = []
  const raw = Buffer.from(text, 'latin1')
  for (let i = 0; i < raw.length; i++) {
    const octal = raw[i] === 0x5c ? /^0[0-3][0-7]{2}/.exec(raw.subarray(i + 1, i + 5).toString('latin1')) : null
    if (octal === null) bytes.push(raw[i]!)
    else {
      bytes.push(Number.parseInt(octal[0], 8))
      i += 4
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
 * (the walk's lstat rules: a directory on another device is left out), with the whole subtree of a renamed
 * directory (zfs diff names the directory only: its entries did not change); removed and renamed-from paths,
 * topmost only; SKIP (latin1 relative paths) left out with their subtrees. The jail is read as system/tree-reader.ts
 * reads it: it may run meanwhile.
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
  const skipped = (rel: RelPath): boolean => {
    const text = rel.toString('latin1')
    return [...skip].some((s) => text === s || text.startsWith(`${s}/`))
  }
  const relative = (p: Buffer): RelPath | undefined => {
    if (!p.subarray(0, prefix.length).equals(prefix) || p.length === prefix.length) return undefined
    const rel = p.subarray(prefix.length)
    return skipped(rel) ? undefined : rel
  }
  const reader = new JailReader(root, {enterAnyName: true})
  const changed = new Map<string, RelPath>()
  const removed = new Map<string, RelPath>()
  const unentered: RelPath[] = []
  const keep = (rel: RelPath): void => void changed.set(rel.toString('latin1'), rel)
  const lines = parseZfsDiff(result.stdout)
  // The paths of added, modified and removed lines looked at with one descent into each directory, not one a line
  const listed = lines.flatMap((line) => {
    const rel = line.change === 'R' ? undefined : relative(line.path)
    return rel === undefined ? [] : [rel]
  })
  const looked = lstatByDirectory(reader, listed)
  const lstatOf = (rel: RelPath) => looked.get(rel.toString('latin1')) ?? reader.at(rel, lstatName)
  for (const line of lines) {
    const from = line.change === '-' || line.change === 'R' ? relative(line.path) : undefined
    const here =
      line.change === 'R' ? line.to && relative(line.to) : line.change === '-' ? undefined : relative(line.path)
    if (line.change === 'R' && from !== undefined && here !== undefined && sameObject(reader, from, here)) continue
    if (from !== undefined && isGone(lstatOf(from), line.type === '/')) removed.set(from.toString('latin1'), from)
    if (here === undefined) continue
    const reached = lstatOf(here)
    // Beneath a directory tsez cannot enter (too deep for a door): kept, so that the build names it as left out
    if (!('value' in reached) && reached.unreachable === 'not-utf8') keep(here)
    const st = 'value' in reached ? reached.value : undefined
    if (st === undefined || (st.isDirectory() && st.dev !== reader.device)) continue
    keep(here)
    if (line.change === 'R' && st.isDirectory()) {
      const below = reader.descendants(here)
      below.entries.filter((rel) => !skipped(rel)).forEach(keep)
      unentered.push(...below.unentered)
    }
  }
  const topmost = [...removed.keys()].filter((key) => !hasAncestorIn(key, removed))
  return {
    changed: [...changed.keys()].sort().map((key) => changed.get(key)!),
    removed: topmost.sort().map((key) => removed.get(key)!),
    unentered,
  }
}

/** The lstat of each of RELS as `reader.at` gives it, by latin1 path: one descent into each directory for all. */
function lstatByDirectory(reader: JailReader, rels: RelPath[]): Map<string, Reached<Stats | undefined>> {
  const groups = new Map<string, {dir: RelPath; names: RelPath[]}>()
  for (const rel of rels) {
    const {dir} = splitName(rel)
    const key = dir.toString('latin1')
    const group = groups.get(key) ?? {dir, names: []}
    group.names.push(rel)
    groups.set(key, group)
  }
  const found = new Map<string, Reached<Stats | undefined>>()
  for (const {dir, names} of groups.values()) {
    const reached = reader.within(dir, () => names.map((rel) => lstatName(splitName(rel).name)))
    names.forEach((rel, i) =>
      found.set(rel.toString('latin1'), 'value' in reached ? {value: reached.value[i]} : reached),
    )
  }
  return found
}

/**
 * Whether a path, a directory (DIRECTORY) or not in the origin, is gone from the jail, by what its lstat REACHED:
 * nothing is there now (nor a directory above it), or something of the other kind. zfs diff speaks of objects: a
 * path whose object changed (or a second hard link) is still the jail's. A path that cannot be looked at is never
 * taken for gone.
 */
function isGone(reached: Reached<Stats | undefined>, directory: boolean): boolean {
  if (!('value' in reached)) return reached.unreachable === 'gone'
  return reached.value === undefined || reached.value.isDirectory() !== directory
}

/** Two names of one inode: a hard link reported as a rename, which leaves both names as they were. */
function sameObject(reader: JailReader, a: RelPath, b: RelPath): boolean {
  const [first, second] = [reader.lstat(a), reader.lstat(b)]
  return first !== undefined && second !== undefined && first.dev === second.dev && first.ino === second.ino
}

function hasAncestorIn(key: string, set: ReadonlyMap<string, unknown>): boolean {
  for (let i = key.lastIndexOf('/'); i > 0; i = key.lastIndexOf('/', i - 1)) if (set.has(key.slice(0, i))) return true
  return false
}
