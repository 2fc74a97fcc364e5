// The set cache's files: downloads land there under a partial name, and a damaged entry is found and removed.
import {createHash, randomBytes} from 'node:crypto'
import {createReadStream} from 'node:fs'
import {lstat, mkdir, open, readdir, rename, rm} from 'node:fs/promises'
import path from 'node:path'
import {pipeline} from 'node:stream/promises'

/** A download's bytes on their way into the cache: a `.partial-*` file until verified, extracted and landed. */
export interface PartialFile {
  write(chunk: Buffer): Promise<void>
  /** All bytes are in: fsync and close. */
  complete(): Promise<void>
  /** Renames the partial file to its place in the cache. */
  land(target: string): Promise<void>
  /** Removes the partial file (any failure). */
  drop(): Promise<void>
}

export function startPartial(cacheDir: string, file: string): PartialFile {
  const name = path.join(cacheDir, `.partial-${file}-${randomBytes(6).toString('hex')}`)
  const handle = mkdir(cacheDir, {recursive: true, mode: 0o755}).then(() => open(name, 'wx', 0o644))
  handle.catch(() => undefined)
  let closed = false
  const close = async () => {
    if (closed) return
    closed = true
    await (await handle).close()
  }
  return {
    write: async (chunk) => void (await (await handle).write(chunk)),
    complete: async () => {
      await (await handle).sync()
      await close()
    },
    land: async (target) => {
      await close()
      await mkdir(path.dirname(target), {recursive: true, mode: 0o755})
      await rename(name, target)
    },
    drop: async () => {
      await close().catch(() => undefined)
      await rm(name, {force: true})
    },
  }
}

/**
 * Removes partial downloads from the cache directory. Every writer of the cache holds the host lock, so a partial
 * file seen by the holder is the leftover of a killed run.
 */
export async function sweepPartials(cacheDir: string): Promise<void> {
  const names = await readdir(cacheDir).catch(() => [] as string[])
  await Promise.all(
    names.filter((n) => n.startsWith('.partial-')).map((n) => rm(path.join(cacheDir, n), {force: true})),
  )
}

/**
 * Whether the cache holds FILE with the expected sha256 at `cachePath`. An entry that does not match (damaged on
 * disk, or not a file) would fail every install until removed by hand: it is removed here, and `warn` says so.
 */
export async function usableCacheEntry(
  cachePath: string,
  expected: string,
  warn: (line: string) => void,
): Promise<boolean> {
  const info = await lstat(cachePath).catch(() => undefined)
  if (!info) return false
  const actual = info.isFile() ? await hashFile(cachePath).catch((error: Error) => error) : undefined
  if (actual === expected) return true
  const what =
    actual instanceof Error ? `cannot be read (${actual.message})` : actual === undefined ? 'is not a file' : undefined
  await rm(cachePath, {recursive: true, force: true})
  warn(
    `${path.basename(cachePath)}: the cached copy ${cachePath} ` +
      `${what ?? `does not match MANIFEST's sha256 ${expected} (it has ${actual})`}; removed it, fetching the set again`,
  )
  return false
}

async function hashFile(file: string): Promise<string> {
  const hash = createHash('sha256')
  await pipeline(createReadStream(file, {highWaterMark: 1 << 20}), hash)
  return hash.digest('hex')
}
