// The rename journal: what `tsez config --rename` set out to do, so a kill at any step leaves one whole jail.
import {rm} from 'node:fs/promises'
import path from 'node:path'

import type {TsezConfig} from '../config.js'
import {journalFilesIn, readJournalFile} from './dbdir-journals.js'
import {renderJailConfFor} from './files.js'
import {ownershipOf} from './ownership.js'
import {jailFiles, readJailRecord, writeJailRecord, type JailRecord} from './store.js'
import {pathExists, writeFileAtomic} from '../system/files.js'

/*
 * A rename writes this journal first, then NEW's fstab, conf and record, then renames the root (the commit when
 * the root moves; without a move the record is the commit), then rewrites the depend lists of the jails that
 * named OLD, removes OLD's record, conf and fstab, and last the journal. Before the commit OLD is whole (NEW's
 * files point at a root that is not there yet); after it NEW is. The next tsez that holds the host lock
 * (src/jail/recover.ts) finds the journal and rolls back (removes NEW's files) or forward (dependents, OLD's files).
 */

export interface RenameJournal {
  version: 1
  from: JailRecord
  to: JailRecord
  /** The root moves from from.root to to.root (it was the default tsez_jaildir/OLD). */
  moveRoot: boolean
  /** Jails whose depend lists name OLD: they get NEW after the commit. */
  dependents: string[]
  pid: number
  started: string
}

const PREFIX = 'rename-'

export function renameJournalFile(config: TsezConfig, oldName: string): string {
  return path.join(config.dbdir, `${PREFIX}${oldName}.json`)
}

export async function writeRenameJournal(config: TsezConfig, journal: RenameJournal): Promise<void> {
  await writeFileAtomic(renameJournalFile(config, journal.from.name), JSON.stringify(journal) + '\n', 0o600)
}

/** The journals interrupted renames left, by path, sorted. */
export async function renameJournalFiles(config: TsezConfig): Promise<string[]> {
  return journalFilesIn(config.dbdir, PREFIX)
}

async function readRenameJournals(config: TsezConfig): Promise<RenameJournal[]> {
  const journals: RenameJournal[] = []
  for (const file of await renameJournalFiles(config)) {
    const journal = await readJournalFile<RenameJournal>(
      file,
      (parsed) => parsed.version === 1 && parsed.from !== undefined && parsed.to !== undefined,
    )
    if (journal !== undefined) journals.push(journal)
  }
  return journals
}

/** Whether the rename passed its commit: the root is at its new place, or (root kept) NEW's record exists. */
export async function renameCommitted(config: TsezConfig, journal: RenameJournal): Promise<boolean> {
  if (!journal.moveRoot) return pathExists(jailFiles(config, journal.to.name).record)
  return (await pathExists(journal.to.root)) && !(await pathExists(journal.from.root))
}

/** Before the commit: NEW's record, conf and fstab go; OLD was never touched. */
export async function rollBackRename(config: TsezConfig, journal: RenameJournal): Promise<void> {
  const {to} = journal
  const files = jailFiles(config, to.name)
  if ((await readJailRecord(config, to.name))?.root === to.root) await rm(files.record, {force: true})
  await removeIfTsez(files.conf, to.name)
  await removeIfTsez(files.fstab, to.name)
  await rm(renameJournalFile(config, journal.from.name), {force: true})
}

/** After the commit: the dependents name NEW, OLD's record, conf and fstab go, then the journal. */
export async function finishRename(config: TsezConfig, journal: RenameJournal): Promise<void> {
  const {from, to} = journal
  for (const name of journal.dependents) {
    const other = await readJailRecord(config, name)
    if (other === undefined || !other.depend.includes(from.name)) continue
    const updated = {...other, depend: other.depend.map((d) => (d === from.name ? to.name : d))}
    await writeFileAtomic(jailFiles(config, name).conf, renderJailConfFor(config, updated))
    await writeJailRecord(config, updated)
  }
  const files = jailFiles(config, from.name)
  if ((await readJailRecord(config, from.name))?.root === from.root) await rm(files.record, {force: true})
  await removeIfTsez(files.conf, from.name)
  await removeIfTsez(files.fstab, from.name)
  await rm(renameJournalFile(config, from.name), {force: true})
}

/**
 * Rolls every interrupted rename back or forward, and says what it did. Call it holding the host lock: no rename
 * can then be running, so every journal belongs to a dead one.
 */
export async function recoverInterruptedRenames(config: TsezConfig): Promise<string[]> {
  const done: string[] = []
  for (const journal of await readRenameJournals(config)) {
    const {from, to} = journal
    if (await renameCommitted(config, journal)) {
      await finishRename(config, journal)
      done.push(`finished renaming jail ${from.name} to ${to.name}, which an interrupted tsez config had begun`)
    } else {
      await rollBackRename(config, journal)
      done.push(`jail ${from.name} keeps its name: an interrupted tsez config --rename ${to.name} was undone`)
    }
  }
  return done
}

async function removeIfTsez(file: string, name: string): Promise<void> {
  if ((await ownershipOf(file, name)) === 'tsez') await rm(file, {force: true})
}
