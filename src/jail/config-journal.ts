// The config journal: a plain `tsez config` commits the record, then re-renders the jail.conf; a kill between is finished.
import {rm} from 'node:fs/promises'
import path from 'node:path'

import type {TsezConfig} from '../config.js'
import {journalFilesIn, readJournalFile} from './dbdir-journals.js'
import {renderJailConfFor} from './files.js'
import {jailFiles, readJailRecord, writeJailRecord, type JailRecord} from './store.js'
import {writeFileAtomic} from '../system/files.js'

/*
 * `tsez config NAME` (no rename) writes this journal (the record it commits), then the record (the commit), then
 * NAME.conf rendered from it, then removes the journal. Before the commit nothing of the jail changed; after it
 * only the conf may lag behind the record. The next tsez that holds the host lock (every command reading or
 * writing jails' configuration: src/jail/recover.ts) finds the journal and, when the record is the journal's,
 * renders the conf from it; either way the journal goes. So the jail is old or new as a whole, never a record of
 * one and a conf of the other.
 */

export interface ConfigJournal {
  version: 1
  /** The record being committed. */
  to: JailRecord
  pid: number
  started: string
}

const PREFIX = 'config-'

export function configJournalFile(config: TsezConfig, name: string): string {
  return path.join(config.dbdir, `${PREFIX}${name}.json`)
}

/** Journal, record (the commit), conf, journal removed. */
export async function commitConfig(config: TsezConfig, record: JailRecord, started: Date): Promise<void> {
  const journal: ConfigJournal = {version: 1, to: record, pid: process.pid, started: started.toISOString()}
  const file = configJournalFile(config, record.name)
  await writeFileAtomic(file, JSON.stringify(journal) + '\n', 0o600)
  await writeJailRecord(config, record)
  await writeFileAtomic(jailFiles(config, record.name).conf, renderJailConfFor(config, record))
  await rm(file, {force: true})
}

/**
 * Finishes or drops every interrupted config, and says what it did. Call it holding the host lock: no config can
 * then be running, so every journal belongs to a dead one.
 */
export async function recoverInterruptedConfigs(config: TsezConfig): Promise<string[]> {
  const done: string[] = []
  for (const file of await configJournalFiles(config)) {
    const journal = await readJournal(file)
    if (journal === undefined) continue
    const {name} = journal.to
    const record = await readJailRecord(config, name)
    if (record !== undefined && JSON.stringify(record) === JSON.stringify(journal.to)) {
      await writeFileAtomic(jailFiles(config, name).conf, renderJailConfFor(config, record))
      done.push(`finished configuring jail ${name}: rewrote its jail.conf, which an interrupted tsez config had left`)
    } else {
      done.push(`jail ${name} keeps its settings: an interrupted tsez config had not changed it`)
    }
    await rm(file, {force: true})
  }
  return done
}

/** The journals interrupted configs left, by path, sorted. */
export async function configJournalFiles(config: TsezConfig): Promise<string[]> {
  return journalFilesIn(config.dbdir, PREFIX)
}

async function readJournal(file: string): Promise<ConfigJournal | undefined> {
  return readJournalFile<ConfigJournal>(file, (parsed) => parsed.version === 1 && typeof parsed.to?.name === 'string')
}
