// What every command that reads or writes jails' configuration runs first under the host lock: killed configs settled.
import type {TsezConfig} from '../config.js'
import type {Log} from '../system/deps.js'
import type {CommandRunner} from '../system/runner.js'
import {sweepInterruptedArchives} from './archive-journal.js'
import {configJournalFiles, recoverInterruptedConfigs} from './config-journal.js'
import {recoverInterruptedLimits} from './limits-note.js'
import {recoverInterruptedRenames, renameJournalFiles} from './rename-journal.js'
import {checkRollbackNotes} from './rollback-journal.js'
import {readRunningJails} from './running.js'

export interface RecoveryOptions {
  /**
   * Whether to report what interrupted rollbacks left (default true). start, stop, restart and rollback settle
   * those notes themselves, once they know which jails they act on (src/jail/rollback-journal.ts).
   */
  rollbackNotes?: boolean
}

/**
 * Rolls every interrupted `tsez config --rename` back or forward, finishes or drops every interrupted plain
 * `tsez config`, gives a running jail whose `tsez limits` was killed its recorded rctl rules again, destroys the
 * snapshot and clone a killed `tsez archive` on ZFS left, and warns about jails an
 * interrupted `tsez rollback --force` left stopped; says what it did. Call it holding the host lock (no config,
 * archive or rollback can be running then), before reading records.
 */
export async function recoverInterruptedJailWork(
  config: TsezConfig,
  deps: {run: CommandRunner; log: Log},
  options: RecoveryOptions = {},
): Promise<void> {
  for (const line of await recoverInterruptedRenames(config)) deps.log.info(line)
  for (const line of await recoverInterruptedConfigs(config)) deps.log.info(line)
  const limits = await recoverInterruptedLimits(config, deps.run)
  for (const line of limits.info) deps.log.info(line)
  for (const line of limits.warnings) deps.log.warn(line)
  for (const line of await sweepInterruptedArchives(config, deps.run)) deps.log.info(line)
  if (options.rollbackNotes !== false) await reportRollbackNotes(config, deps)
}

/**
 * Says what interrupted rollbacks left: notes whose jail is gone or running again are removed (a line each), the
 * others warned about, but those of SETTLED jails, which the caller settles itself. RUNNING: the running jails when
 * the caller has them; else jls is asked, and only when there is a note.
 */
export async function reportRollbackNotes(
  config: TsezConfig,
  deps: {run: CommandRunner; log: Log},
  {settled, running}: {settled?: (name: string) => boolean; running?: ReadonlySet<string>} = {},
): Promise<void> {
  const runningJails = async () => running ?? new Set((await readRunningJails(deps.run)).keys())
  const notes = await checkRollbackNotes(config, runningJails, settled)
  for (const line of notes.info) deps.log.info(line)
  for (const line of notes.warnings) deps.log.warn(line)
}

/** The journals recoverInterruptedJailWork finishes or rolls back (doctor reports them), by path. */
export async function interruptedConfigJournals(config: TsezConfig): Promise<string[]> {
  return [...(await renameJournalFiles(config)), ...(await configJournalFiles(config))]
}
