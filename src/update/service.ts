// tsez update: observe the host, plan, and update the basejail once, then bring every jail's /etc along.
import {mkdir} from 'node:fs/promises'
import path from 'node:path'

import type {TsezConfig} from '../config.js'
import {freebsdUpdatePaths, readUserlandVersion} from '../base/freebsd-update.js'
import {clearPendingStep, readPendingStep, writePendingStep} from '../base/update-journal.js'
import {hasHalfDoneInstall} from '../base/update-state.js'
import {refuseRaisedSecurelevel} from '../base/securelevel.js'
import {baseProvider} from '../base/provider.js'
import {requirePkgbaseKeys} from '../base/pkgbase.js'
import {UsageError} from '../errors.js'
import {parseRelease, type Release} from '../dist/release.js'
import type {Deps} from '../system/deps.js'
import * as zfs from '../system/zfs.js'
import {pathExists, writeFileAtomic} from '../system/files.js'
import {lockHost} from '../system/lock.js'
import {recoverInterruptedJailWork} from '../jail/recover.js'
import {BaseStepError, runBaseCommands} from './base.js'
import {recoverFromBaseFailure} from './base-failure.js'
import {sweepUpdateLeftovers} from './resume.js'
import {etcSourceFor} from '../etc/bootstrap.js'
import {ensureEtcTarball, type EtcSource} from '../etc/tarball.js'
import {etcTarballPath} from '../etc/etcupdate.js'
import {installRecordPath, recordBaseVersion, readInstallRecord, type InstallRecord} from '../base/install-record.js'
import {stagingPaths} from '../base/staging.js'
import {recoverInterruptedInstall} from '../base/swap-install.js'
import {applySourcePlan, fromSource, planFromSource, sourceResult} from './source.js'
import {bootstrapTargets, mergeTargets, restartTargets, unchangedOutcomes, type JailOutcome} from './jails.js'
import {basejailDataset, observeTargets, readBaseVersion, requireInstallRecord} from './observe.js'
import {describeUpdatePlan, planUpdate, type UpdateAction, type UpdatePlan} from './plan.js'

export interface UpdateRequest {
  action: UpdateAction
  /** -U: the release to upgrade to. */
  release?: string
  /** -U: where the new release's base set is (default tsez_mirror). */
  mirror?: string
  /** -b/-i: the source tree (default tsez_sourcetree). */
  sourcetree?: string
  parallel: number
  restart: boolean
  dryRun: boolean
  lockWaitMs: number
}

export interface UpdateResult {
  action: UpdateAction
  basejail: string
  versionBefore: string
  versionAfter: string | null
  /** The release recorded in tsez_dbdir/release.json afterwards. */
  release: string | null
  installRounds: number
  snapshot: string | null
  jails: JailOutcome[]
  newjail: JailOutcome | null
  /** Wall time of the base step and of the per-jail phase (etcupdate merges or restarts), in milliseconds. */
  durationMs: {base: number; jails: number}
  /** Nothing was installed: -U to the release the basejail runs, or freebsd-update fetch found no updates. */
  upToDate: boolean
  /** Some jail needs attention (a conflict or a failure): the command exits 1. */
  attention: boolean
  dryRun: boolean
  /** The steps of this run, one line each: what a dry run would do, what a real run set out to do. */
  plan: string[]
  /** Every jail's /etc was merged with the new release's (-U, or -b/-i building another release). */
  etcMerged: boolean
  /** What the report says besides the base and the jails (-b/-i of the same release: why nothing was merged). */
  notes: string[]
}

export async function updateBasejail(config: TsezConfig, request: UpdateRequest, deps: Deps): Promise<UpdateResult> {
  const target = request.action === 'upgrade' ? requireTarget(request.release) : undefined
  if (!Number.isInteger(request.parallel) || request.parallel < 1) {
    throw new UsageError(`invalid -p ${request.parallel}: give the number of jails to process at once (1 or more)`)
  }
  const sourcetree = request.sourcetree ?? config.sourcetree
  if (
    (request.action === 'build' || request.action === 'installworld') &&
    !(await pathExists(path.join(sourcetree, 'Makefile')))
  ) {
    throw new UsageError(`no source tree at ${sourcetree} (Makefile missing): give -s DIR or set tsez_sourcetree`)
  }
  const source = fromSource(request)
  if (request.dryRun && source) {
    const {plan} = await planFromSource(config, request, sourcetree, deps)
    return sourceResult(plan, installRecordPath(config), {dryRun: true})
  }
  if (request.dryRun) {
    const {plan} = await observeAndPlan(config, request, target, deps)
    return resultOf(plan, {dryRun: true})
  }
  // No basejail: exit 2 before even the lock file is made (unless a killed -b/-i's swap, recovered below, moved it).
  if (!source || !(await pathExists(stagingPaths(config.jaildir).root))) await readBaseVersion(config)
  // The lock comes before observing, so nothing observed can change before the plan is carried out.
  const lock = await lockHost(config.dbdir, deps, 'update', {waitMs: request.lockWaitMs})
  try {
    // Every program is noted in the lock: if tsez is killed, the next update waits for what it left running.
    const tracked = {...deps, run: lock.track(deps.run)}
    await recoverInterruptedJailWork(config, tracked)
    await sweepUpdateLeftovers(config, tracked.run)
    if (source) {
      await recoverInterruptedInstall(config, tracked)
      const {plan, install} = await planFromSource(config, request, sourcetree, tracked)
      return await applySourcePlan(config, plan, install, tracked)
    }
    const {plan, install, origin} = await observeAndPlan(config, request, target, tracked)
    // Recorded with the new version once the base step went through: where the base now comes from.
    return await applyPlan(config, plan, install && {...install, ...origin}, tracked)
  } finally {
    await lock.release()
  }
}

/** Reads the host (nothing is changed) and turns it, with the request, into the plan. */
async function observeAndPlan(
  config: TsezConfig,
  request: UpdateRequest,
  target: Release | undefined,
  deps: Deps,
): Promise<{plan: UpdatePlan; install: InstallRecord | undefined; origin: Partial<InstallRecord>}> {
  const versionBefore = await readBaseVersion(config)
  await refuseRaisedSecurelevel(
    deps.run,
    'the basejail cannot be changed; lower it at boot (kern_securelevel in rc.conf) and reboot',
  )
  const upgrade = request.action === 'upgrade'
  const install = upgrade ? await requireInstallRecord(config) : await readInstallRecord(config)
  const provider = baseProvider(config, install, versionBefore, upgrade ? request.mirror : undefined)
  if (provider.kind === 'pkgbase' && (upgrade || request.action === 'patch'))
    await requirePkgbaseKeys(config, target ?? parseRelease(versionBefore))
  const targets = await observeTargets(config, install, deps, upgrade)
  const byRelease = new Map<string, EtcSource>()
  if (upgrade && install) {
    for (const t of targets.filter((t) => !t.hasEtcState))
      byRelease.set(t.release, etcSourceFor(config, install, parseRelease(t.release)))
  }
  const targetSource = upgrade && install && target ? etcSourceFor(config, install, target, request.mirror) : undefined
  const releases = [...byRelease.values(), ...(targetSource ? [targetSource] : [])].map((s) => s.release.name)
  const present = new Set<string>()
  for (const name of releases) if (await pathExists(etcTarballPath(config, name))) present.add(name)
  const plan = planUpdate(
    config,
    {action: request.action, release: target, parallel: request.parallel, restart: request.restart},
    {
      versionBefore,
      provider,
      dataset: await basejailDataset(config, deps),
      targets,
      etcSources: {target: targetSource, byRelease},
      tarballExists: (name) => present.has(name),
      baseHasSrc: await pathExists(path.join(config.basejail, 'usr/src/Makefile')),
      halfDoneInstall: await hasHalfDoneInstall(freebsdUpdatePaths(config.dbdir).workdir, config.basejail),
      pendingStep: await readPendingStep(config),
      now: deps.clock.now(),
    },
  )
  return {plan, install, origin: provider.originAfter(target ?? parseRelease(versionBefore))}
}

async function applyPlan(
  config: TsezConfig,
  plan: UpdatePlan,
  install: InstallRecord | undefined,
  deps: Deps,
): Promise<UpdateResult> {
  const options = {parallel: plan.parallel}
  if (plan.upToDate) return upToDate(plan, install)
  // Everything that can fail without touching the base comes first: tarballs, then each jail's etcupdate state.
  for (const tarball of plan.tarballs) await ensureEtcTarball(config, tarball.source, deps)
  await bootstrapTargets(plan.bootstraps, options, deps)
  if (plan.updateConf) {
    await mkdir(plan.updateConf.workdir, {recursive: true, mode: 0o700})
    await writeFileAtomic(plan.updateConf.file, plan.updateConf.content)
  }
  const started = deps.clock.monotonicMs()
  const beforeTouch = async () => {
    if (plan.snapshot) {
      await zfs.snapshot(deps.run, plan.snapshot.dataset, plan.snapshot.name)
      deps.log.info(`snapshot ${plan.snapshot.dataset}@${plan.snapshot.name} taken`)
    }
    if (plan.action === 'patch' || plan.action === 'upgrade') {
      const targetRelease = plan.targetRelease ?? null
      await writePendingStep(config, {action: plan.action, targetRelease, startedAt: deps.clock.now().toISOString()})
    }
  }
  const base = await runBaseCommands(plan.base, deps, beforeTouch).catch(async (error: unknown) => {
    throw error instanceof BaseStepError ? await recoverFromBaseFailure(config, plan, error, deps) : error
  })
  if (base.upToDate) {
    // A run killed after its last install round left the basejail patched and release.json behind: record it.
    if (install && install.userland !== plan.versionBefore) {
      const release = parseRelease(plan.versionBefore).name
      const updatedAt = deps.clock.now().toISOString()
      await recordBaseVersion(config, install, {release, userland: plan.versionBefore, updatedAt})
    }
    return upToDate(plan, install, deps.clock.monotonicMs() - started)
  }
  // An upgrade's note stays until every /etc is merged: a kill before then is finished by the same -U -r.
  if (plan.action !== 'upgrade') await clearPendingStep(config)
  const versionAfter = await readUserlandVersion(config.basejail)
  const release = parseRelease(versionAfter).name
  if (install) {
    await recordBaseVersion(config, install, {
      release,
      userland: versionAfter,
      updatedAt: deps.clock.now().toISOString(),
    })
  } else deps.log.warn(`no ${plan.record}: the basejail was not installed by tsez install; nothing recorded`)
  if (plan.targetRelease && release !== plan.targetRelease) {
    deps.log.warn(`the basejail reports ${versionAfter} after upgrading to ${plan.targetRelease}`)
  }
  const baseDone = deps.clock.monotonicMs()
  const outcomes =
    plan.merges.length > 0
      ? await mergeTargets(plan.merges, plan.restart, options, deps)
      : await restartTargets(plan.targets, plan.restart, options, deps)
  await clearPendingStep(config)
  const durationMs = {base: Math.round(baseDone - started), jails: Math.round(deps.clock.monotonicMs() - baseDone)}
  return resultOf(plan, {versionAfter, release, installRounds: base.installRounds, outcomes, durationMs})
}

/** Nothing to install (-U to the release there, or fetch found no updates): the base and every jail as they were. */
function upToDate(plan: UpdatePlan, install: InstallRecord | undefined, baseMs = 0): UpdateResult {
  return resultOf(plan, {
    upToDate: true,
    versionAfter: plan.versionBefore,
    release: install?.release,
    outcomes: unchangedOutcomes(plan.targets),
    durationMs: {base: Math.round(baseMs), jails: 0},
  })
}

/** -U's -r, parsed once here: everything further in takes the Release. */
function requireTarget(release: string | undefined): Release {
  if (!release) throw new UsageError('-U needs the release to upgrade to: give -r RELEASE, e.g. -r 15.1-RELEASE')
  return parseRelease(release)
}

function resultOf(
  plan: UpdatePlan,
  done: {
    dryRun?: boolean
    upToDate?: boolean
    versionAfter?: string
    release?: string
    installRounds?: number
    outcomes?: JailOutcome[]
    durationMs?: UpdateResult['durationMs']
  },
): UpdateResult {
  const outcomes = done.outcomes ?? []
  const order = plan.merges.length > 0 ? plan.merges.map((m) => m.target) : plan.targets
  const jails = outcomes.filter((_, index) => !order[index]?.template)
  const newjail = outcomes.find((_, index) => order[index]?.template) ?? null
  return {
    action: plan.action,
    basejail: plan.basejail,
    versionBefore: plan.versionBefore,
    versionAfter: done.versionAfter ?? null,
    release: done.release ?? null,
    installRounds: done.installRounds ?? 0,
    snapshot: plan.snapshot ? `${plan.snapshot.dataset}@${plan.snapshot.name}` : null,
    jails,
    newjail,
    durationMs: done.durationMs ?? {base: 0, jails: 0},
    upToDate: done.upToDate ?? false,
    attention: outcomes.some((o) => !o.ok),
    dryRun: done.dryRun ?? false,
    plan: describeUpdatePlan(plan),
    etcMerged: plan.merges.length > 0,
    notes: [],
  }
}
