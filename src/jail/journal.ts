// The create journal: what an unfinished `tsez create` may have left, so the next tsez can remove exactly that.
import {rm, rmdir} from 'node:fs/promises'
import path from 'node:path'

import type {TsezConfig} from '../config.js'
import {journalFilesIn, readJournalFile} from './dbdir-journals.js'
import {jailFiles} from './store.js'
import {pathExists, removeOwnTree, sweepAtomicTemps, writeFileAtomic} from '../system/files.js'
import type {CommandRunner} from '../system/runner.js'
import {datasetExists, destroy, originOf, propertyOf} from '../system/zfs.js'

/*
 * create writes the journal before it touches anything else and removes it after the record (the commit
 * point) is written. A journal without a record is therefore an interrupted create: its staging copy, its
 * root (only when create made it, i.e. not with -x), and its conf and fstab are create's own and are removed.
 * A journal next to a record is a create killed after its commit: only the journal goes.
 */

export interface CreateJournal {
  version: 1
  name: string
  /** The staging copy (absent with -x). */
  staging?: string
  root: string
  /** True when create copies the root into place (not -x): the root is then create's to remove. */
  ownsRoot: boolean
  /**
   * ZFS: the dataset made at the root, and what makes it the maker's: the snapshot a clone comes from (clone), or
   * the value the maker gives its dataset's tsez:restore (restore) or tsez:create (create, `property`) property.
   */
  dataset?: {name: string; origin: string} | DatasetMark
  pid: number
  started: string
}

const PREFIX = 'create-'

/** The user property restore marks its dataset with (a random value): the sweep destroys only that dataset. */
export const RESTORE_MARK = 'tsez:restore'
/** The user property create's clone carries (a random value, set by the clone itself), for the same reason. */
export const CREATE_MARK = 'tsez:create'

/** A dataset known as the maker's by its PROPERTY's value (tsez:restore when no property is named). */
export interface DatasetMark {
  name: string
  mark: string
  property?: string
}

type DatasetNote = {dataset: string; snapshot: string} | {dataset: string; mark: string; property?: string}

export function journalFile(config: TsezConfig, name: string): string {
  return path.join(config.dbdir, `${PREFIX}${name}.json`)
}

async function writeJournal(config: TsezConfig, journal: CreateJournal): Promise<void> {
  await writeFileAtomic(journalFile(config, journal.name), JSON.stringify(journal) + '\n', 0o600)
}

/**
 * Notes a jail about to be made (create, clone, restore) before its first change: its root is the maker's to remove
 * exactly when it is copied into place from STAGING; on ZFS the clone and the snapshot it comes from.
 */
export async function beginJournal(
  config: TsezConfig,
  jail: {
    name: string
    root: string
    staging: string | undefined
    zfs?: DatasetNote
  },
  now: Date,
): Promise<void> {
  await writeJournal(config, {
    version: 1,
    name: jail.name,
    ...(jail.staging === undefined ? {} : {staging: jail.staging}),
    root: jail.root,
    ownsRoot: jail.staging !== undefined,
    ...(jail.zfs === undefined ? {} : {dataset: datasetNote(jail.zfs)}),
    pid: process.pid,
    started: now.toISOString(),
  })
}

function datasetNote(zfs: DatasetNote) {
  if (!('mark' in zfs)) return {name: zfs.dataset, origin: zfs.snapshot}
  return {name: zfs.dataset, mark: zfs.mark, ...(zfs.property === undefined ? {} : {property: zfs.property})}
}

export async function removeJournal(config: TsezConfig, name: string): Promise<void> {
  await rm(journalFile(config, name), {force: true})
}

/** Names with a create journal (an unfinished or uncommitted create), sorted. */
export async function journalNames(config: TsezConfig): Promise<string[]> {
  return (await journalFilesIn(config.dbdir, PREFIX)).map((file) => path.basename(file, '.json').slice(PREFIX.length))
}

/** Unreadable or not whole: not create's (writeJournal renames into place); left be. */
export async function readJournal(config: TsezConfig, name: string): Promise<CreateJournal | undefined> {
  return readJournalFile<CreateJournal>(
    journalFile(config, name),
    (parsed) => parsed.version === 1 && parsed.name === name && typeof parsed.root === 'string',
  )
}

export interface Leftover {
  /** A path, or a dataset's name. */
  path: string
  /** Trees are removed with removeOwnTree (schg cleared first), files with rm, a dataset with zfs destroy. */
  kind: 'tree' | 'file' | 'dataset'
  /** A dataset's: the snapshot create cloned it from; anything else under its name is left alone. */
  origin?: string
  /** A restored dataset's: its tsez:restore value (create's clone: its markProperty's); anything else is left alone. */
  mark?: string
  markProperty?: string
  /** A dataset's: its mountpoint, removed when zfs leaves it empty. */
  mountpoint?: string
}

/** What the sweep of NAME would remove (for --dry-run and for the sweep itself), journal last. */
export async function leftoversOf(config: TsezConfig, name: string): Promise<Leftover[]> {
  const journal = await readJournal(config, name)
  if (journal === undefined) return []
  const files = jailFiles(config, name)
  const own: Leftover = {path: journalFile(config, name), kind: 'file'}
  if (await pathExists(files.record)) return [own]
  const {dataset} = journal
  const clone = dataset && {path: dataset.name, kind: 'dataset' as const, ...ownerOf(dataset), mountpoint: journal.root}
  // restore's dataset is mounted in its staging directory until it is complete: destroyed first, staging after.
  const staging = journal.staging === undefined ? undefined : {path: journal.staging, kind: 'tree' as const}
  if (clone) return [clone, ...(await present([staging, {path: files.conf, kind: 'file'}, {path: files.fstab, kind: 'file'}])), own] // prettier-ignore
  const candidates: Array<Leftover | undefined> = [
    journal.staging === undefined ? undefined : {path: journal.staging, kind: 'tree'},
    journal.ownsRoot ? {path: journal.root, kind: 'tree'} : undefined,
    {path: files.conf, kind: 'file'},
    {path: files.fstab, kind: 'file'},
  ]
  return [...(await present(candidates)), own]
}

function ownerOf(dataset: NonNullable<CreateJournal['dataset']>): Pick<Leftover, 'origin' | 'mark' | 'markProperty'> {
  if (!('mark' in dataset)) return {origin: dataset.origin}
  return {mark: dataset.mark, ...(dataset.property === undefined ? {} : {markProperty: dataset.property})}
}

async function present(candidates: Array<Leftover | undefined>): Promise<Leftover[]> {
  const found: Leftover[] = []
  for (const candidate of candidates) if (candidate && (await pathExists(candidate.path))) found.push(candidate)
  return found
}

/**
 * Destroys an interrupted create's clone (or restore's dataset), only when it is one: the dataset exists and its
 * origin is the snapshot the journal names (its mark property has the journal's mark); a dataset of that name made by
 * anyone else is never touched. False when there was none.
 */
export async function destroyLeftoverClone(run: CommandRunner, item: Leftover): Promise<boolean> {
  if (!(await datasetExists(run, item.path))) return false
  const ours =
    item.mark !== undefined
      ? (await propertyOf(run, item.path, item.markProperty ?? RESTORE_MARK)) === item.mark
      : item.origin !== undefined && (await originOf(run, item.path)) === item.origin
  if (!ours) return false
  await destroy(run, item.path)
  if (item.mountpoint !== undefined) await rmdir(item.mountpoint).catch(() => undefined)
  return true
}

/** Removes the temporary files killed atomic writes left beside jail files and records (hold the host lock). */
export async function sweepKilledWrites(config: TsezConfig): Promise<string[]> {
  const removed: string[] = []
  for (const dir of [config.dbdir, config.confdir, config.jailconfDir, config.fstabDir]) {
    removed.push(...(await sweepAtomicTemps(dir)))
  }
  return removed
}

/**
 * Removes what interrupted creates left (every journal, or NAME's only). Call it holding the host lock:
 * no create can then be running, so every journal belongs to a dead one.
 */
export async function sweepInterruptedCreates(
  config: TsezConfig,
  run: CommandRunner,
  only?: string,
): Promise<string[]> {
  const names = only === undefined ? await journalNames(config) : [only]
  const removed: string[] = only === undefined ? await sweepKilledWrites(config) : []
  for (const name of names) {
    // A dataset that is not the journal's stays, and so does the staging directory it may be mounted in.
    let keptDataset = false
    for (const item of await leftoversOf(config, name)) {
      if (item.kind === 'dataset') {
        if (await destroyLeftoverClone(run, item)) removed.push(`dataset ${item.path}`)
        else keptDataset = await datasetExists(run, item.path)
        continue
      }
      if (item.kind === 'tree' && keptDataset) continue
      if (item.kind === 'tree') await removeOwnTree(run, item.path)
      else await rm(item.path, {force: true})
      removed.push(item.path)
    }
  }
  return removed
}
