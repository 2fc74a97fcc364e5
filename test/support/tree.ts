// Test helpers for extracted trees: lstat-level snapshots, readable diffs, and removal despite chattr +i.
import {execFile} from 'node:child_process'
import {createHash} from 'node:crypto'
import {createReadStream} from 'node:fs'
import {lstat, readdir, readlink, rm} from 'node:fs/promises'
import path from 'node:path'

export interface EntryFacts {
  type: 'file' | 'dir' | 'symlink' | 'other'
  /** st_mode & 0o7777: permissions plus setuid, setgid and sticky. */
  mode: number
  uid: number
  gid: number
  /** Whole seconds, in ms: tar keeps seconds. */
  mtimeMs: number
  size?: number
  sha256?: string
  target?: string
  /** Files with several links: the smallest relative path sharing the inode. */
  linkGroup?: string
}

export type Snapshot = Map<string, EntryFacts>

/** Every path under root ('.' is root itself), keyed by relative path, sorted. `exclude` prunes subtrees too. */
export async function snapshotTree(
  root: string,
  options: {exclude?: (rel: string) => boolean} = {},
): Promise<Snapshot> {
  const facts = new Map<string, EntryFacts>()
  const inodes = new Map<string, string[]>()
  const visit = async (rel: string): Promise<void> => {
    const abs = rel === '.' ? root : path.join(root, rel)
    const st = await lstat(abs)
    const type = st.isFile() ? 'file' : st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'symlink' : 'other'
    const entry: EntryFacts = {
      type,
      mode: st.mode & 0o7777,
      uid: st.uid,
      gid: st.gid,
      mtimeMs: Math.floor(st.mtimeMs / 1000) * 1000,
    }
    if (type === 'file') {
      entry.size = st.size
      entry.sha256 = await sha256(abs)
      if (st.nlink > 1) {
        const key = `${st.dev}:${st.ino}`
        inodes.set(key, [...(inodes.get(key) ?? []), rel])
      }
    }
    if (type === 'symlink') entry.target = await readlink(abs)
    facts.set(rel, entry)
    if (type !== 'dir') return
    for (const name of (await readdir(abs)).sort()) {
      const child = rel === '.' ? name : `${rel}/${name}`
      if (!options.exclude?.(child)) await visit(child)
    }
  }
  await visit('.')
  return sortedWithLinkGroups(facts, inodes)
}

/** FACTS sorted by path, each multiply-linked file marked with the smallest path of its INODES group. */
export function sortedWithLinkGroups(facts: Snapshot, inodes: ReadonlyMap<string, readonly string[]>): Snapshot {
  for (const paths of inodes.values()) {
    const group = [...paths].sort()[0]
    for (const rel of paths) {
      const entry = facts.get(rel)
      if (entry) entry.linkGroup = group
    }
  }
  return new Map([...facts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
}

const FIELDS = ['type', 'mode', 'uid', 'gid', 'mtimeMs', 'size', 'sha256', 'target', 'linkGroup'] as const

/** One line per difference between `expected` and `actual`; empty when they are the same. */
export function diffTrees(expected: Snapshot, actual: Snapshot, options: {ignoreMtimeOf?: string[]} = {}): string[] {
  const ignoreMtime = new Set(options.ignoreMtimeOf)
  const lines: string[] = []
  for (const [rel, want] of expected) {
    const got = actual.get(rel)
    if (!got) {
      lines.push(`${rel}: missing`)
      continue
    }
    for (const field of FIELDS) {
      if (field === 'mtimeMs' && ignoreMtime.has(rel)) continue
      if (want[field] !== got[field])
        lines.push(`${rel}: ${field} ${show(field, want[field])} != ${show(field, got[field])}`)
    }
  }
  for (const rel of actual.keys()) if (!expected.has(rel)) lines.push(`${rel}: unexpected`)
  return lines
}

function show(field: (typeof FIELDS)[number], value: EntryFacts[typeof field]): string {
  if (value === undefined) return '(none)'
  if (field === 'mode' && typeof value === 'number') return `0${value.toString(8).padStart(3, '0')}`
  if (field === 'mtimeMs' && typeof value === 'number') return new Date(value).toISOString()
  return JSON.stringify(value)
}

async function sha256(file: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer)
  return hash.digest('hex')
}

/**
 * Clears the ext4 immutable attribute that `bsdtar -xpf` sets for schg (and tests set with chattr +i) on every
 * file and directory under root; symlinks are skipped (chattr follows them). Failures (no chattr, a filesystem
 * without attributes, a missing root) are ignored: removal reports what is really stuck.
 */
export async function clearImmutable(root: string): Promise<void> {
  await new Promise<void>((resolve) => {
    execFile('find', [root, '(', '-type', 'f', '-o', '-type', 'd', ')', '-exec', 'chattr', '-i', '{}', '+'], () =>
      resolve(),
    )
  })
}

/** rm -rf that first clears the immutable attribute. */
export async function removeTree(root: string): Promise<void> {
  await clearImmutable(root)
  await rm(root, {recursive: true, force: true})
}
