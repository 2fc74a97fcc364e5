// The installed-release record (tsez_dbdir/release.json) that install writes and update keeps current.
import {readFile} from 'node:fs/promises'
import path from 'node:path'

import type {TsezConfig} from '../config.js'
import {OperationError} from '../errors.js'
import {writeFileAtomic} from '../system/files.js'
import type {Mirror, Platform, Release} from '../dist/release.js'

export interface InstallRecord {
  release: string
  userland: string
  machine: string
  arch: string
  /**
   * The release directory the sets came from: stored as a Mirror; records written before that hold its
   * describeMirror text, read back here. Undefined when the record names no directory tsez can read.
   */
  mirror: Mirror | undefined
  [other: string]: unknown
}

/** A set as the record lists it: what was verified and extracted. */
export interface RecordedSet {
  name: string
  file: string
  sha256: string
  entries: number
}

/** The record of the base an install has just built (swapIn commits it as release.json). */
export function newInstallRecord(base: {
  release: Release
  userland: string
  platform: Platform
  mirror: Mirror
  sets: RecordedSet[]
  patched: boolean
  installedAt: Date
}): InstallRecord {
  return {
    release: base.release.name,
    userland: base.userland,
    machine: base.platform.machine,
    arch: base.platform.arch,
    mirror: base.mirror,
    // Records written before pkgbase have no provider: base/provider.ts reads them as distribution sets.
    provider: 'dist-sets',
    sets: base.sets,
    patched: base.patched,
    installedAt: base.installedAt.toISOString(),
  }
}

/** The record as the text of release.json. */
export function renderInstallRecord(record: InstallRecord): string {
  return JSON.stringify(record, null, 2) + '\n'
}

export function installRecordPath(config: TsezConfig): string {
  return path.join(config.dbdir, 'release.json')
}

export async function readInstallRecord(config: TsezConfig): Promise<InstallRecord | undefined> {
  const file = installRecordPath(config)
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new OperationError(`cannot read ${file}: ${(error as Error).message}`)
  }
  try {
    const record = JSON.parse(text) as Partial<Record<keyof InstallRecord, unknown>>
    if (typeof record.release === 'string' && typeof record.machine === 'string' && typeof record.arch === 'string')
      return {...record, mirror: recordedMirror(record.mirror)} as InstallRecord
  } catch {
    // reported below
  }
  throw new OperationError(`${file} is not a tsez install record: reinstall with tsez install --force`)
}

/** Rewrites the record atomically with the base's new release and userland; every other field is kept. */
export async function recordBaseVersion(
  config: TsezConfig,
  record: InstallRecord,
  change: {release: string; userland: string; updatedAt: string},
): Promise<InstallRecord> {
  const next = {...record, ...change}
  await writeFileAtomic(installRecordPath(config), renderInstallRecord(next))
  return next
}

export function recordPlatform(record: InstallRecord): Platform {
  return {machine: record.machine, arch: record.arch}
}

/** The record's mirror field as a Mirror: the stored object, or the describeMirror text older records hold. */
function recordedMirror(field: unknown): Mirror | undefined {
  if (typeof field === 'string') {
    if (/^https?:\/\//.test(field)) return {kind: 'http', url: field}
    if (field.startsWith('file://')) return {kind: 'file', dir: field.slice('file://'.length).replace(/\/$/, '')}
    return undefined
  }
  const mirror = field as Partial<{kind: unknown; url: unknown; dir: unknown}> | null | undefined
  if (mirror?.kind === 'http' && typeof mirror.url === 'string') return {kind: 'http', url: mirror.url}
  if (mirror?.kind === 'file' && typeof mirror.dir === 'string') return {kind: 'file', dir: mirror.dir}
  return undefined
}
