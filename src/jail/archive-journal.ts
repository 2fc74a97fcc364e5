// The archive journal: what an archive on ZFS makes (snapshot, read-only clone, its mount), noted before it is made.
import {rm, rmdir} from 'node:fs/promises'
import path from 'node:path'

import type {TsezConfig} from '../config.js'
import {writeFileAtomic} from '../system/files.js'
import type {CommandRunner} from '../system/runner.js'
import {datasetExists, destroy, originOf} from '../system/zfs.js'
import {journalFilesIn, readJournalFile} from './dbdir-journals.js'

/** The snapshot of one archive: DATASET@tsez-archive-STAMP-NONCE, gone once the archive is written or failed. */
export const ARCHIVE_SNAPSHOT_PREFIX = 'tsez-archive-'

export interface ArchiveZfsStep {
  /** The jail's dataset. */
  dataset: string
  /** DATASET@tsez-archive-STAMP-NONCE: the jail as it is at one instant, running or not. */
  snapshot: string
  /** PARENT/.tsez-archive-NAME.NONCE: the snapshot cloned read-only, beside the jail's dataset. */
  clone: string
  /** Where the clone is mounted: the tree the archive is read from. */
  mountpoint: string
}

/** The archive journal: what a killed archive on ZFS may have left, noted before any of it is made. */
interface ArchiveJournal extends ArchiveZfsStep {
  version: 1
  name: string
  pid: number
  started: string
}

const JOURNAL_PREFIX = 'archive-'

const journalFile = (config: TsezConfig, name: string) => path.join(config.dbdir, `${JOURNAL_PREFIX}${name}.json`)

/** Notes what an archive of jail NAME is about to make (STEP), before any of it is made. */
export async function noteArchiveSnapshot(config: TsezConfig, name: string, step: ArchiveZfsStep, now: Date) {
  const journal: ArchiveJournal = {version: 1, name, ...step, pid: process.pid, started: now.toISOString()}
  await writeFileAtomic(journalFile(config, name), JSON.stringify(journal) + '\n', 0o600)
}

/**
 * Destroys what STEP made, as far as it exists, then the journal: the clone (only when it is the snapshot's), its
 * mount directory, the snapshot. Throws when zfs fails; the journal then stays for the next sweep.
 */
export async function dropArchiveSnapshot(config: TsezConfig, name: string, step: ArchiveZfsStep, run: CommandRunner) {
  const removed: string[] = []
  const cloned = await datasetExists(run, step.clone)
  const ours = cloned && (await originOf(run, step.clone)) === step.snapshot
  if (ours) {
    await destroy(run, step.clone)
    removed.push(`dataset ${step.clone}`)
  }
  // A file system of that name made by anyone else stays, and so does whatever it has mounted.
  if (!cloned || ours) {
    await rmdir(step.mountpoint).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error
    })
  }
  if (await datasetExists(run, step.snapshot)) {
    await destroy(run, step.snapshot)
    removed.push(`snapshot ${step.snapshot}`)
  }
  await rm(journalFile(config, name), {force: true})
  return removed
}

/** The journals of killed archives on ZFS (doctor reports them as leftovers), by path. */
export async function archiveJournalFiles(config: TsezConfig): Promise<string[]> {
  return journalFilesIn(config.dbdir, JOURNAL_PREFIX)
}

/**
 * Removes what killed archives on ZFS left, as their journals name it (hold the host lock: no archive is then
 * running, so every journal belongs to a dead one); one line per dataset or snapshot destroyed. Every command that
 * settles interrupted work (src/jail/recover.ts) runs it: a leftover clone would block delete -w and rollback.
 */
export async function sweepInterruptedArchives(config: TsezConfig, run: CommandRunner): Promise<string[]> {
  const lines: string[] = []
  for (const file of await archiveJournalFiles(config)) {
    const journal = await readArchiveJournal(file)
    if (journal === undefined) continue
    for (const what of await dropArchiveSnapshot(config, journal.name, journal, run)) {
      lines.push(`destroyed ${what}, left by an interrupted tsez archive`)
    }
  }
  return lines
}

/** FILE's journal when it is one an archive made (unreadable or foreign ones are left be), else undefined. */
async function readArchiveJournal(file: string): Promise<ArchiveJournal | undefined> {
  return readJournalFile<ArchiveJournal>(file, (parsed) => {
    const named = [parsed.name, parsed.dataset, parsed.snapshot, parsed.clone, parsed.mountpoint]
    if (parsed.version !== 1 || !named.every((value) => typeof value === 'string')) return false
    const journal = parsed as ArchiveJournal
    // Only what an archive of this dataset makes: its own snapshot name, a clone of the .tsez-archive- form.
    return (
      file === path.join(path.dirname(file), `${JOURNAL_PREFIX}${journal.name}.json`) &&
      journal.snapshot.startsWith(`${journal.dataset}@${ARCHIVE_SNAPSHOT_PREFIX}`) &&
      path.posix.basename(journal.clone).startsWith('.tsez-archive-') &&
      path.basename(journal.mountpoint).startsWith('.tsez-archive-')
    )
  })
}
