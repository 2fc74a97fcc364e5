// tsez doctor: observe the host, judge it, and with --fix repair only the safe and obvious (jaildir mode, leftovers).
import {chmod} from 'node:fs/promises'

import type {TsezConfig} from '../config.js'
import {installRecordPath} from '../base/install-record.js'
import {recoverStaging, stagingPaths} from '../base/staging.js'
import {recoverDatasetSwap} from '../base/zfs-swap.js'
import {sweepInterruptedCreates} from '../jail/journal.js'
import {recoverInterruptedJailWork} from '../jail/recover.js'
import type {Deps} from '../system/deps.js'
import {lockHost} from '../system/lock.js'
import {zfsStamp} from '../system/zfs.js'
import {allPassed, jaildirModeIsSafe, runChecks, type CheckResult} from './checks.js'
import type {DoctorFacts} from './facts.js'
import {observeHost} from './observe.js'

export interface DoctorResult {
  version: 1
  checks: CheckResult[]
  /** No check failed (warnings and skips allowed). */
  ok: boolean
  /** With --fix: what was changed, one line each (empty when nothing needed it). */
  changed?: string[]
}

export interface DoctorOptions {
  fix: boolean
  /** How long --fix waits for the host lock (ms). */
  lockWaitMs: number
}

export async function runDoctor(config: TsezConfig, deps: Deps, options: DoctorOptions): Promise<DoctorResult> {
  const before = await observeHost(config, deps)
  if (!options.fix) return judged(before)
  const changed = [...(await fixJaildirMode(before)), ...(await sweepLeftovers(config, deps, before, options))]
  const after = changed.length === 0 ? before : await observeHost(config, deps)
  return {...judged(after), changed}
}

function judged(facts: DoctorFacts): DoctorResult {
  const checks = runChecks(facts)
  return {version: 1, checks, ok: allPassed(checks)}
}

/** chmod 0700 a jail directory others can reach, when its owner is right (a wrong owner is for the admin to judge). */
async function fixJaildirMode(facts: DoctorFacts): Promise<string[]> {
  const {path, stat} = facts.jaildir
  if (stat === undefined || !stat.isDirectory || (stat.uid !== 0 && stat.uid !== facts.uid)) return []
  if (jaildirModeIsSafe(stat.mode, stat.gid)) return []
  await chmod(path, 0o700)
  return [`chmod 0700 ${path} (was ${(stat.mode & 0o7777).toString(8).padStart(4, '0')})`]
}

/**
 * Under the host lock (taking over a stale one), what interrupted configs, creates and installs left, as the next
 * command would: journals with their staging, roots and files, killed atomic writes, and install staging
 * (an unfinished swap is rolled back to the previous basejail). Nothing while another tsez is at work.
 */
async function sweepLeftovers(
  config: TsezConfig,
  deps: Deps,
  facts: DoctorFacts,
  options: DoctorOptions,
): Promise<string[]> {
  if (facts.lock.state === 'held') return []
  if (facts.leftovers.length === 0 && facts.lock.state === 'free') return []
  const changed = facts.lock.state === 'stale' ? [`took over the stale host lock of pid ${facts.lock.pid ?? '?'}`] : []
  const lock = await lockHost(config.dbdir, deps, 'doctor --fix', {waitMs: options.lockWaitMs})
  try {
    const run = lock.track(deps.run)
    await recoverInterruptedJailWork(config, {
      run,
      log: {info: (line) => changed.push(line), warn: (line) => deps.log.warn(line)},
    })
    changed.push(...(await sweepInterruptedCreates(config, run)).map((file) => `removed ${file}`))
    const targets = {basejail: config.basejail, newjail: config.newjail, record: installRecordPath(config)}
    const staged = facts.leftovers.filter((item) => item.kind === 'install staging')
    const staging = stagingPaths(config.jaildir)
    // On ZFS the datasets an interrupted install swapped go back first: none may stay mounted in staging.
    const layout = {parent: config.zfsParent, properties: config.zfsProperties}
    const stamp = zfsStamp(deps.clock.now())
    if (config.useZfs) changed.push(...(await recoverDatasetSwap(run, layout, staging, targets, stamp)))
    const actions = await recoverStaging(run, staging, targets)
    changed.push(...(actions.length > 0 ? actions : staged.map((item) => `removed ${item.path}`)))
  } finally {
    await lock.release()
  }
  return changed
}
