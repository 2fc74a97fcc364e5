// tsez limits: show a jail's rctl rules, or change them (record and jail.conf, journaled) and re-apply them when it runs.
import type {TsezConfig} from '../config.js'
import {OperationError, UsageError, describeError, quote} from '../errors.js'
import {commitConfig, configJournalFile} from '../jail/config-journal.js'
import {sweepInterruptedCreates} from '../jail/journal.js'
import {applyRecordRules, limitsNoteFile, removeLimitsNote, writeLimitsNote} from '../jail/limits-note.js'
import {jailNameFor} from '../jail/names.js'
import {recoverInterruptedJailWork} from '../jail/recover.js'
import {readRunningJails} from '../jail/running.js'
import {jailFiles, readJailRecord, type JailRecord} from '../jail/store.js'
import type {Deps} from '../system/deps.js'
import {lockHost} from '../system/lock.js'
import {cpuCount, sysctlNumber} from '../system/sysctl.js'
import {limitTexts, planLimits, type LimitsPlan, type LimitsRequest} from './plan.js'

export interface LimitsOptions extends LimitsRequest {
  dryRun: boolean
  lockWaitMs: number
}

export interface LimitsResult {
  /** The jail's name. */
  name: string
  /** The jail's rules after the command, as `resource:action=amount[/per]`. */
  limits: string[]
  changed: boolean
  /** The rules were (or, in a dry run, would be) applied to the running jail at once. */
  applied: boolean
  dryRun: boolean
  plan: string[]
}

export async function limitJail(config: TsezConfig, options: LimitsOptions, deps: Deps): Promise<LimitsResult> {
  const name = jailNameFor(options.name)
  if (options.rules.length === 0 && options.unset.length === 0) {
    const record = await readRecord(config, name, options.name)
    return {name, limits: limitTexts(record), changed: false, applied: false, dryRun: options.dryRun, plan: []}
  }
  const lock = await lockHost(config.dbdir, deps, `limits ${name}`, {
    waitMs: options.lockWaitMs,
    dryRun: options.dryRun,
  })
  try {
    if (!options.dryRun) {
      // Under the lock no other tsez runs: whatever a killed create, rename or config left is finished first.
      for (const removed of await sweepInterruptedCreates(config, deps.run)) {
        deps.log.info(`removed ${removed}, left by an interrupted tsez create`)
      }
      await recoverInterruptedJailWork(config, deps)
    }
    const record = await readRecord(config, name, options.name)
    const running = (await readRunningJails(deps.run)).has(name)
    const seen = {
      record,
      running,
      ncpu: await cpuCount(deps.run),
      racct: running ? await sysctlNumber(deps.run, 'kern.racct.enable') : undefined,
    }
    const planned = planLimits(options, seen)
    if (Array.isArray(planned)) throw new UsageError(planned.join('; '))
    if (!options.dryRun) await apply(config, planned, deps)
    return {
      name,
      limits: limitTexts(planned.after),
      changed: true,
      applied: planned.rctl.length > 0,
      dryRun: options.dryRun,
      plan: describeLimitsPlan(config, planned),
    }
  } finally {
    await lock.release()
  }
}

async function readRecord(config: TsezConfig, name: string, given: string): Promise<JailRecord> {
  const record = await readJailRecord(config, name)
  if (record === undefined) throw new UsageError(`no jail named ${quote(given)}; tsez list shows the jails`)
  return record
}

/**
 * A running jail first gets its new rules (all of its rules removed, the new ones added); when rctl refuses one,
 * the old rules are put back and nothing changes. Then the record and jail.conf are committed (config-journal.ts).
 * While the kernel and the record may differ, a note says so (limits-note.ts): the next command settles a kill.
 */
async function apply(config: TsezConfig, plan: LimitsPlan, deps: Deps): Promise<void> {
  const {before, after} = plan
  if (plan.rctl.length === 0) return commitConfig(config, after, deps.clock.now())
  const started = deps.clock.now().toISOString()
  await writeLimitsNote(config, {version: 1, name: before.name, pid: process.pid, started})
  try {
    await runRctl(plan.rctl, deps)
  } catch (error) {
    await applyRecordRules(before, deps.run)
    await removeLimitsNote(config, before.name)
    throw new OperationError(
      `applying the limits to running jail ${before.name} failed, nothing changed: ${describeError(error)}`,
    )
  }
  try {
    await commitConfig(config, after, deps.clock.now())
  } catch (error) {
    await applyRecordRules(before, deps.run)
    await removeLimitsNote(config, before.name)
    throw error
  }
  await removeLimitsNote(config, before.name)
}

/** The remove may find no rule (rctl exits 1 then): only the adds must succeed. */
async function runRctl(argvs: readonly string[][], deps: Deps): Promise<void> {
  for (const argv of argvs) {
    if (argv[0] === '-r') await deps.run.tryRun('rctl', argv)
    else await deps.run.run('rctl', argv)
  }
}

export function describeLimitsPlan(config: TsezConfig, plan: LimitsPlan): string[] {
  const journal = configJournalFile(config, plan.after.name)
  const note = limitsNoteFile(config, plan.after.name)
  const files = jailFiles(config, plan.after.name)
  const rctl = plan.rctl.length > 0
  return [
    ...(rctl ? [`write ${note} (the running jail's rules are changing)`] : []),
    ...plan.rctl.map((argv) => `run rctl ${argv.join(' ')}`),
    `write ${journal} (journal)`,
    `write ${files.record} (commit)`,
    `write ${files.conf}`,
    `remove ${journal}`,
    ...(rctl ? [`remove ${note}`] : []),
  ]
}
