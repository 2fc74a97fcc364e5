// Pure planning of `tsez archive`: (request, observed host) → every problem at once, or one job per jail.
import path from 'node:path'

import type {TsezConfig} from '../config.js'
import {quote} from '../errors.js'
import {archiveFileName, type Compression} from '../jail/archive-format.js'
import {jailNameFor} from '../jail/names.js'
import {within} from '../jail/roots.js'
import type {JailRecord} from '../jail/store.js'
import type {ArchiveZfsStep} from '../jail/archive-journal.js'
import {describeArchiveZfs, planArchiveZfs} from './zfs.js'

export interface ArchiveRequest {
  names: string[]
  /** -A: every jail. */
  all: boolean
  /** -d: absolute, or relative to the working directory; default tsez_archives. */
  dir?: string
  compression: Compression
  /** -f: archive a running jail too (its files may change while they are read). */
  force: boolean
}

export interface ArchiveObservation {
  records: JailRecord[]
  /** Names of the running jails. */
  running: string[]
  /** DIR with its symlinks resolved as far as it exists. */
  dirReal: string
  /** Names already in DIR. */
  existing: string[]
  now: Date
  nonce: string
}

export interface ArchiveJob {
  record: JailRecord
  running: boolean
  /** DIR/NAME-STAMP.tsez.tar.xz */
  file: string
  /** DIR/.NAME-STAMP.tsez.tar.xz.partial-NONCE: written, synced, then renamed to file. */
  temp: string
  sha256: string
  /** A jail in a dataset: archived from a read-only clone of a fresh snapshot (running or not). */
  zfs?: ArchiveZfsStep
}

export interface ArchivePlan {
  dir: string
  jobs: ArchiveJob[]
}

export function planArchive(
  config: TsezConfig,
  request: ArchiveRequest,
  seen: ArchiveObservation,
): ArchivePlan | string[] {
  const problems: string[] = []
  if (request.all && request.names.length > 0) problems.push('give jail names or -A, not both')
  if (!request.all && request.names.length === 0) problems.push('name the jails to archive, or give -A for every jail')
  const dir = path.resolve(request.dir ?? config.archives)
  const records: JailRecord[] = []
  if (request.all) records.push(...seen.records)
  for (const name of new Set(request.names)) {
    const record = seen.records.find((r) => r.name === jailNameFor(name) || r.hostname === name)
    if (record === undefined) problems.push(`no jail named ${quote(name)}; tsez list shows the jails`)
    else if (!records.includes(record)) records.push(record)
  }
  const inside = (tree: string) => within(dir, tree) || within(seen.dirReal, tree)
  // Every jail sees the basejail; every new jail gets the newjail's and its flavours' files
  for (const [tree, what] of [
    [config.basejail, 'the basejail, which every jail mounts'],
    [config.newjail, 'the newjail, which every new jail copies'],
    [config.flavours, 'the flavours, which new jails copy'],
  ] as const) {
    if (inside(tree)) problems.push(`archive directory ${dir} lies inside ${what} (${tree}); choose another -d`)
  }
  for (const record of records) {
    if (inside(record.root)) {
      problems.push(`archive directory ${dir} lies inside jail ${record.name}'s root; choose another -d`)
    }
    if (seen.running.includes(record.name) && !request.force && record.dataset === undefined) {
      problems.push(`jail ${record.name} is running: stop it first, or give -f to archive it as it runs`)
    }
  }
  if (problems.length > 0) return problems
  const jobs = records.map((record) => {
    const base = archiveFileName(record.name, seen.now, request.compression)
    const zfs = planArchiveZfs(record, seen.now, seen.nonce)
    return {
      ...(zfs === undefined ? {} : {zfs}),
      record,
      running: seen.running.includes(record.name),
      file: path.join(dir, base),
      temp: path.join(dir, `.${base}.partial-${seen.nonce}`),
      sha256: path.join(dir, `${base}.sha256`),
    }
  })
  const taken = jobs.filter((job) => seen.existing.includes(path.basename(job.file)))
  for (const job of taken) problems.push(`${job.file} exists already; wait a second or choose another -d`)
  return problems.length > 0 ? problems : {dir, jobs}
}

/** The plan as --dry-run prints it: each file written and renamed, each program run. */
export function describeArchivePlan(plan: ArchivePlan, compression: Compression): string[] {
  const lines = [`make directory ${plan.dir} (when missing)`]
  const program = compression === 'xz' ? 'xz -T0 -c' : compression === 'zstd' ? 'zstd -T0 -q -c' : undefined
  for (const job of plan.jobs) {
    const through = program === undefined ? '' : ` through ${program}`
    const zfs = job.zfs === undefined ? undefined : describeArchiveZfs(job.zfs)
    lines.push(
      ...(zfs?.before ?? []),
      `pack tsez-archive.json, jail.conf, fstab and ${job.zfs?.mountpoint ?? job.record.root} (as root/, nothing ` +
        `mounted under it)${through} -> ${job.temp}`,
      ...(zfs?.after ?? []),
      `write ${job.sha256}`,
      `rename ${job.temp} -> ${job.file}`,
    )
  }
  return lines
}
