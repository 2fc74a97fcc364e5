// Filesystem helpers with the guarantees tsez needs: atomic small-file writes and flag-aware tree removal.
import {randomBytes} from 'node:crypto'
import {lstat, mkdir, readdir, rename, rm, writeFile} from 'node:fs/promises'
import path from 'node:path'

import type {CommandRunner} from './runner.js'

/** Writes a small file atomically: temp file in the same directory, flushed, then renamed over the target. */
export async function writeFileAtomic(file: string, content: string, mode = 0o644): Promise<void> {
  await mkdir(path.dirname(file), {recursive: true, mode: 0o755})
  const temp = `${file}.tmp-${randomBytes(6).toString('hex')}`
  try {
    await writeFile(temp, content, {mode, flush: true})
    await rename(temp, file)
  } catch (error) {
    await rm(temp, {force: true})
    throw error
  }
}

/** The temp-file suffix writeFileAtomic uses: `.tmp-` and 12 hex digits. */
const ATOMIC_TEMP = /\.tmp-[0-9a-f]{12}$/

/**
 * Removes the temp files writeFileAtomic left in `dir` when a process was killed between write and rename
 * (call with the host lock held: then no other tsez is writing one). Returns the removed paths.
 */
export async function sweepAtomicTemps(dir: string): Promise<string[]> {
  const stale = await atomicTemps(dir)
  await Promise.all(stale.map((file) => rm(file, {force: true})))
  return stale
}

/** The temp files of writeFileAtomic in `dir` (without removing them): leftovers unless a tsez is writing. */
export async function atomicTemps(dir: string): Promise<string[]> {
  const names = await readdir(dir).catch(() => [] as string[])
  return names.filter((name) => ATOMIC_TEMP.test(name)).map((name) => path.join(dir, name))
}

export async function pathExists(file: string): Promise<boolean> {
  return lstat(file).then(
    () => true,
    () => false,
  )
}

/** chflags(1) argument clearing every flag that makes unlink(2) fail: immutable, append-only, undeletable; system and user. */
export const CLEAR_REMOVAL_FLAGS = 'noschg,nouchg,nosappnd,nouappnd,nosunlnk,nouunlnk'

/**
 * Removes a tree tsez itself made (staging, a replaced basejail): clears schg and friends first with
 * `chflags -R noschg` (FreeBSD refuses to unlink immutable files), then removes without following symlinks.
 */
export async function removeOwnTree(run: CommandRunner, dir: string): Promise<void> {
  if (!(await pathExists(dir))) return
  await run.run('chflags', ['-R', CLEAR_REMOVAL_FLAGS, dir])
  await rm(dir, {recursive: true, force: true})
}
