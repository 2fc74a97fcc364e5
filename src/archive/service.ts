// tsez archive: observe, plan, then write each jail's archive to a temporary name, its sha256, and rename it in place.
import {randomBytes} from 'node:crypto'
import {hostname} from 'node:os'
import {mkdir, readFile, readdir, rename, rm} from 'node:fs/promises'
import path from 'node:path'

import type {TsezConfig} from '../config.js'
import {UsageError, describeError} from '../errors.js'
import {readUserlandVersion} from '../base/freebsd-update.js'
import {readTreeFlags} from '../dist/file-flags.js'
import {
  ARCHIVE_FORMAT_VERSION,
  ARCHIVE_MEMBERS,
  ARCHIVE_SHA256,
  PARTIAL_ARCHIVE,
  sha256Line,
  type ArchiveMeta,
} from '../jail/archive-format.js'
import {parseMountP} from '../jail/fstab.js'
import {dropArchiveSnapshot} from '../jail/archive-journal.js'
import {recoverInterruptedJailWork} from '../jail/recover.js'
import {resolveExisting, restoreStaging, within} from '../jail/roots.js'
import {readRunningJails} from '../jail/running.js'
import {jailFiles, listJailRecords, type JailRecord} from '../jail/store.js'
import {nameText} from '../system/byte-names.js'
import type {Deps} from '../system/deps.js'
import {pathExists, sweepAtomicTemps, writeFileAtomic} from '../system/files.js'
import {lockHost} from '../system/lock.js'
import {countTree, packArchive, type TreeCount, type TreeScope} from './pack.js'
import {describeArchivePlan, planArchive, type ArchiveJob, type ArchiveRequest} from './plan.js'
import {mountArchiveSnapshot} from './zfs.js'

export interface ArchiveOptions extends ArchiveRequest {
  dryRun: boolean
  lockWaitMs: number
  /** The tsez version written into the metadata. */
  version: string
}

export interface ArchivedJail {
  name: string
  ok: boolean
  file?: string
  sha256?: string
  bytes?: number
  entries?: number
  error?: string
}

export interface ArchiveResult {
  dir: string
  jails: ArchivedJail[]
  ok: boolean
  dryRun: boolean
  plan: string[]
}

export async function archiveJails(config: TsezConfig, options: ArchiveOptions, deps: Deps): Promise<ArchiveResult> {
  const what = options.all ? '-A' : options.names.join(' ')
  const lock = await lockHost(config.dbdir, deps, `archive ${what}`, {
    waitMs: options.lockWaitMs,
    dryRun: options.dryRun,
  })
  try {
    const dir = path.resolve(options.dir ?? config.archives)
    if (!options.dryRun) await recoverInterruptedJailWork(config, deps)
    const planned = planArchive(config, options, await observe(config, dir, deps))
    if (Array.isArray(planned)) throw new UsageError(planned.join('; '))
    // Only once DIR is accepted: a refused archive (exit 2) changes nothing, in DIR least of all
    if (!options.dryRun) for (const line of await sweepArchiveLeftovers(dir)) deps.log.info(line)
    const result: ArchiveResult = {
      dir: planned.dir,
      jails: [],
      ok: true,
      dryRun: options.dryRun,
      plan: describeArchivePlan(planned, options.compression),
    }
    if (options.dryRun) return result
    await mkdir(planned.dir, {recursive: true, mode: 0o700})
    const context = {release: await readUserlandVersion(config.basejail).catch(() => ''), arch: await archOf(deps)}
    // xz/zstd, zfs and chflags are noted in the lock while they run: a takeover after a kill waits for them.
    const tracked = {...deps, run: lock.track(deps.run)}
    for (const job of planned.jobs) {
      try {
        result.jails.push(await archiveOne(config, job, options, context, tracked))
      } catch (error) {
        result.ok = false
        result.jails.push({name: job.record.name, ok: false, error: describeError(error)})
      }
    }
    return result
  } finally {
    await lock.release()
  }
}

async function observe(config: TsezConfig, dir: string, deps: Deps) {
  const records = await listJailRecords(config)
  const running = [...(await readRunningJails(deps.run)).keys()]
  return {
    records,
    running,
    dirReal: await resolveExisting(dir),
    existing: await readdir(dir).catch(() => [] as string[]),
    now: deps.clock.now(),
    nonce: randomBytes(6).toString('hex'),
  }
}

async function archOf(deps: Deps): Promise<string> {
  const [machine, arch] = await Promise.all([deps.run.run('uname', ['-m']), deps.run.run('uname', ['-p'])])
  return `${machine.stdout.trim()}/${arch.stdout.trim()}`
}

/**
 * One jail: metadata, count, pack to the temporary name, sha256 file, rename (the commit). On ZFS the tree is read
 * from a read-only clone of a fresh snapshot, both destroyed before the commit: a failing zfs fails the archive.
 */
async function archiveOne(
  config: TsezConfig,
  job: ArchiveJob,
  options: ArchiveOptions,
  context: {release: string; arch: string},
  deps: Deps,
): Promise<ArchivedJail> {
  const {record, zfs} = job
  const step = deps.progress.step(`archiving ${record.name} to ${job.file}`)
  try {
    const read = zfs === undefined ? await scopeOf(record.root, deps) : {root: zfs.mountpoint, mountPoints: []}
    const staging = restoreStaging(record.root, record.name, '0'.repeat(8))
    const scope = {...read, restoredUnder: path.join(staging, ARCHIVE_MEMBERS.root)}
    if (zfs !== undefined) await mountArchiveSnapshot(config, record.name, zfs, deps)
    const count = countTree(scope)
    if (count.skipped.length > 0) {
      deps.log.warn(`${record.name}: left out ${count.skipped.length} sockets or device nodes`)
    }
    const members = await membersOf(config, record, count, options, context, deps)
    const flagged = await readTreeFlags(deps.run, scope.root)
    // Keyed as the walk names members: a name that is not UTF-8 as nameText keeps it
    const flags = new Map(
      flagged.map((entry) => {
        const rel = typeof entry.path === 'string' ? entry.path : nameText(entry.path)
        return [path.join(scope.root, rel), entry.flags]
      }),
    )
    const packed = await packArchive(job.temp, members, scope, flags, options.compression, deps)
    try {
      if (zfs !== undefined) await dropArchiveSnapshot(config, record.name, zfs, deps.run)
      await writeFileAtomic(job.sha256, sha256Line(packed.sha256, path.basename(job.file)), 0o600)
      await rename(job.temp, job.file)
    } catch (error) {
      await Promise.all([rm(job.temp, {force: true}), rm(job.sha256, {force: true})])
      throw error
    }
    step.succeed(`archived ${record.name}: ${job.file} (${count.entries} entries, ${packed.size} bytes)`)
    return {
      name: record.name,
      ok: true,
      file: job.file,
      sha256: packed.sha256,
      bytes: packed.size,
      entries: count.entries,
    }
  } catch (error) {
    if (zfs !== undefined) {
      await dropArchiveSnapshot(config, record.name, zfs, deps.run).catch((undo: unknown) => {
        deps.log.warn(
          `could not remove ${zfs.clone} and ${zfs.snapshot} (the next archive will): ${describeError(undo)}`,
        )
      })
    }
    step.fail(`archiving ${record.name} failed: ${describeError(error)}`)
    throw error
  }
}

/** The jail's root and what is mounted under it (mount -p), left out of the archive. */
async function scopeOf(root: string, deps: Deps): Promise<TreeScope> {
  const mounts = parseMountP((await deps.run.run('mount', ['-p'])).stdout)
  return {root, mountPoints: mounts.map((m) => m.mountPoint).filter((p) => p !== root && within(p, root))}
}

/** The small members before the tree: tsez-archive.json, the jail's jail.conf and fstab. */
async function membersOf(
  config: TsezConfig,
  record: JailRecord,
  count: TreeCount,
  options: ArchiveOptions,
  context: {release: string; arch: string},
  deps: Deps,
): Promise<Array<{name: string; content: string}>> {
  const files = jailFiles(config, record.name)
  const meta: ArchiveMeta = {
    format: 'tsez-archive',
    version: ARCHIVE_FORMAT_VERSION,
    jail: record,
    release: context.release,
    arch: context.arch,
    host: hostname(),
    created: deps.clock.now().toISOString(),
    tsez: options.version,
    compression: options.compression,
    entries: count.entries,
    bytes: count.bytes,
  }
  return [
    {name: ARCHIVE_MEMBERS.meta, content: JSON.stringify(meta, null, 2) + '\n'},
    {name: ARCHIVE_MEMBERS.conf, content: await readFile(files.conf, 'utf8').catch(() => '')},
    {name: ARCHIVE_MEMBERS.fstab, content: await readFile(files.fstab, 'utf8').catch(() => '')},
  ]
}

/**
 * Removes what killed archives left in DIR (hold the host lock: no archive is then being written): partial
 * archives, temp files of the sha256 write, and sha256 files whose archive never landed.
 */
export async function sweepArchiveLeftovers(dir: string): Promise<string[]> {
  const names = await readdir(dir).catch(() => [] as string[])
  const lines = (await sweepAtomicTemps(dir)).map((file) => `removed ${file}, left by an interrupted tsez archive`)
  for (const name of names) {
    const orphan = ARCHIVE_SHA256.exec(name)?.[1]
    const stale = PARTIAL_ARCHIVE.test(name) || (orphan !== undefined && !(await pathExists(path.join(dir, orphan))))
    if (!stale) continue
    await rm(path.join(dir, name), {force: true})
    lines.push(`removed ${path.join(dir, name)}, left by an interrupted tsez archive`)
  }
  return lines
}
