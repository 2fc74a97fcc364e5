// The limits note: `tsez limits` is changing a running jail's rctl rules; a note its command outlived is settled.
import {rm} from 'node:fs/promises'
import path from 'node:path'

import type {TsezConfig} from '../config.js'
import type {CommandRunner} from '../system/runner.js'
import {writeFileAtomic} from '../system/files.js'
import {journalFilesIn, readJournalFile} from './dbdir-journals.js'
import {recordRulesArgv} from './limits.js'
import {readRunningJails} from './running.js'
import {readJailRecord, type JailRecord} from './store.js'

/** What settling the notes did (info) and what it could not (warnings). */
export interface SettledNotes {
  info: string[]
  warnings: string[]
}

/*
 * `tsez limits` on a running jail writes this note, replaces the jail's rules with rctl, commits the record and
 * jail.conf, and removes the note. Killed in between, the kernel may hold the old rules, the new ones or a mix,
 * whatever the record says. The next command under the host lock settles it once the interrupted config commit is
 * settled (the record is then old or new as a whole): a running jail gets the record's rules again; a stopped one
 * lost its rules at its stop (jail.conf's exec.poststop) and gets the record's at its next start.
 */

export interface LimitsNote {
  version: 1
  /** The jail's name. */
  name: string
  pid: number
  started: string
}

const PREFIX = 'limits-'

export function limitsNoteFile(config: TsezConfig, name: string): string {
  return path.join(config.dbdir, `${PREFIX}${name}.json`)
}

/** Written before the first rctl call. */
export async function writeLimitsNote(config: TsezConfig, note: LimitsNote): Promise<void> {
  await writeFileAtomic(limitsNoteFile(config, note.name), JSON.stringify(note) + '\n', 0o600)
}

/** Removed once the record and the kernel agree again. */
export async function removeLimitsNote(config: TsezConfig, name: string): Promise<void> {
  await rm(limitsNoteFile(config, name), {force: true})
}

/**
 * Puts back RECORD's rules on its running jail. The remove may find no rule (rctl exits 1): tried, not required.
 * Returns the first add rctl refused, if any.
 */
export async function applyRecordRules(record: JailRecord, run: CommandRunner): Promise<string | undefined> {
  let refused: string | undefined
  for (const argv of recordRulesArgv(record.name, record.limits)) {
    const result = await run.tryRun('rctl', argv)
    if (result.exitCode !== 0 && argv[0] === '-a') refused ??= `rctl ${argv.join(' ')}: ${result.stderr.trim()}`
  }
  return refused
}

/**
 * Settles every note an interrupted `tsez limits` left (call it holding the host lock, after the config journals
 * were settled): a running jail's rules become its record's again (whatever the note says: the record is what the
 * kernel must hold); the note of a stopped or gone jail is dropped. A note whose rules rctl refuses again stays.
 */
export async function recoverInterruptedLimits(config: TsezConfig, run: CommandRunner): Promise<SettledNotes> {
  const settled: SettledNotes = {info: [], warnings: []}
  const files = await journalFilesIn(config.dbdir, PREFIX)
  if (files.length === 0) return settled
  const running = await readRunningJails(run)
  for (const file of files) {
    const name = path.basename(file, '.json').slice(PREFIX.length)
    const note = await readJournalFile<LimitsNote>(file, (parsed) => parsed.version === 1 && parsed.name === name)
    const by = `an interrupted tsez limits of jail ${name} (pid ${note?.pid ?? '?'}, started ${note?.started ?? '?'})`
    const record = await readJailRecord(config, name)
    if (record === undefined || !running.has(name)) {
      await rm(file, {force: true})
      const why = record === undefined ? 'the jail is gone' : 'the jail is stopped: its next start applies its rules'
      settled.info.push(`${by}: ${why}; removed its note`)
      continue
    }
    const refused = await applyRecordRules(record, run)
    if (refused === undefined) {
      await rm(file, {force: true})
      settled.info.push(`${by}: its running jail holds its recorded rctl rules again`)
    } else {
      settled.warnings.push(`${by}: putting back its recorded rctl rules failed (${refused}); tried again next time`)
    }
  }
  return settled
}
