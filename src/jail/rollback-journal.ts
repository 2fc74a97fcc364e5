// The rollback note: `tsez rollback --force` stopped a running jail to roll it back; until it starts it again, it says so.
import {rm} from 'node:fs/promises'
import path from 'node:path'

import type {TsezConfig} from '../config.js'
import {quote} from '../errors.js'
import {writeFileAtomic} from '../system/files.js'
import {journalFilesIn, readJournalFile} from './dbdir-journals.js'
import {readJailRecord} from './store.js'

/*
 * `tsez rollback --force` on a running jail writes this note, stops the jail, rolls its dataset back, starts it and
 * removes the note. A note that outlives its command (the command was killed) means: the jail was stopped on
 * purpose and the admin expects it running. Nothing starts it behind the admin's back. `tsez start` or `restart`
 * of the jail settles the note (it starts the jail, as asked); `tsez stop` drops it (the admin wants it stopped);
 * `tsez rollback` of the jail completes it (rolls back as asked, then starts the jail as the interrupted one
 * would have); every other command holding the host lock warns about it. A note whose jail is gone (or made anew under
 * its name), or running again (started outside tsez), is removed with a line saying so.
 */

export interface RollbackNote {
  version: 1
  /** The jail's name. */
  name: string
  /** DATASET@SNAP the interrupted rollback went back to. */
  snapshot: string
  /** The jail's record's `created`: a jail made anew under the name is another jail, and the note is not its. */
  created: string
  pid: number
  started: string
}

const PREFIX = 'rollback-'

export function rollbackNoteFile(config: TsezConfig, name: string): string {
  return path.join(config.dbdir, `${PREFIX}${name}.json`)
}

/** Written before the jail is stopped. */
export async function writeRollbackNote(config: TsezConfig, note: RollbackNote): Promise<void> {
  await writeFileAtomic(rollbackNoteFile(config, note.name), JSON.stringify(note) + '\n', 0o600)
}

/** Removed once the jail was started again (or the admin settled it). */
export async function removeRollbackNote(config: TsezConfig, name: string): Promise<void> {
  await rm(rollbackNoteFile(config, name), {force: true})
}

export async function readRollbackNote(config: TsezConfig, name: string): Promise<RollbackNote | undefined> {
  return readJournalFile<RollbackNote>(
    rollbackNoteFile(config, name),
    (parsed) => parsed.version === 1 && parsed.name === name && typeof parsed.snapshot === 'string',
  )
}

/** Every note an interrupted rollback left. Call it holding the host lock: no rollback is running then. */
export async function readRollbackNotes(config: TsezConfig): Promise<RollbackNote[]> {
  const notes: RollbackNote[] = []
  for (const file of await journalFilesIn(config.dbdir, PREFIX)) {
    const note = await readRollbackNote(config, path.basename(file, '.json').slice(PREFIX.length))
    if (note !== undefined) notes.push(note)
  }
  return notes
}

/** What the interrupted rollback NOTE did, for messages. */
export function describeRollbackNote(note: RollbackNote): string {
  return `an interrupted tsez rollback (pid ${note.pid}, started ${note.started}, to ${quote(note.snapshot)}) stopped jail ${note.name}`
}

/**
 * The lines about every note under the host lock: a note whose jail is gone or running again (RUNNING is asked only
 * when there is a note) is removed; every other one (but those of SETTLED jails, which the command itself settles)
 * is a warning naming what to do.
 */
export async function checkRollbackNotes(
  config: TsezConfig,
  running: () => Promise<ReadonlySet<string>>,
  settled: (name: string) => boolean = () => false,
): Promise<{info: string[]; warnings: string[]}> {
  const lines = {info: [] as string[], warnings: [] as string[]}
  const notes = await readRollbackNotes(config)
  const runningNow = notes.length > 0 ? await running() : new Set<string>()
  for (const note of notes) {
    if ((await readJailRecord(config, note.name))?.created !== note.created) {
      await removeRollbackNote(config, note.name)
      lines.info.push(`${describeRollbackNote(note)}; the jail is gone, the note removed`)
    } else if (runningNow.has(note.name)) {
      await removeRollbackNote(config, note.name)
      lines.info.push(`${describeRollbackNote(note)}; it runs again, the note removed`)
    } else if (!settled(note.name)) {
      lines.warnings.push(
        `${describeRollbackNote(note)} and did not start it again (the rollback may or may not have happened: ` +
          `tsez snapshots ${note.name}): tsez start ${note.name} starts it, tsez rollback ${note.name} SNAP ` +
          `rolls back and starts it, tsez stop ${note.name} keeps it stopped`,
      )
    }
  }
  return lines
}
