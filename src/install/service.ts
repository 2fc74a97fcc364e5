// tsez install: check the request, observe the host, plan, then print the plan (--dry-run) or carry it out locked.
import {refuseRaisedSecurelevel} from '../base/securelevel.js'
import {freebsdUpdateCall, freebsdUpdatePaths} from '../base/freebsd-update.js'
import type {TsezConfig} from '../config.js'
import {UsageError} from '../errors.js'
import {fetchLimits} from '../dist/http.js'
import {describeMirror, parsePlatform, parseRelease} from '../dist/release.js'
import type {Deps} from '../system/deps.js'
import {pathExists} from '../system/files.js'
import {lockHost} from '../system/lock.js'
import {applyInstall, recoverInterruptedInstall, type AppliedInstall} from './apply.js'
import {
  observeFlavours,
  observeHost,
  observeInstalled,
  readManifest,
  refuseToReplace,
  type HostFacts,
} from './observe.js'
import {describeInstallPlan, planInstall, type InstallPlan} from './plan.js'
import {installFromPkgbase, usesPkgbase} from './pkgbase.js'

export interface InstallRequest {
  release?: string
  platform?: string
  mirror?: string
  src: boolean
  patch: boolean
  verify: boolean
  /** --manifest FILE: the trusted MANIFEST the sets are checked against. */
  manifest?: string
  force: boolean
  dryRun: boolean
  lockWaitMs: number
  /** --pkgbase: the base from FreeBSD-set-* packages (src/install/pkgbase.ts); -h is then the pkg server. */
  pkgbase?: boolean
  /** --set: which FreeBSD-set-* package (pkgbase only). */
  pkgbaseSet?: string
}

export interface InstallResult {
  release: string
  userland: string | null
  machine: string
  arch: string
  mirror: string
  sets: Array<{
    name: string
    file: string
    sha256: string | null
    bytes: number | null
    entries: number | null
    cached: boolean
  }>
  paths: {basejail: string; newjail: string; flavours: string; record: string}
  flavoursInstalled: string[]
  patched: boolean
  dryRun: boolean
  plan: string[]
}

export async function installBase(config: TsezConfig, request: InstallRequest, deps: Deps): Promise<InstallResult> {
  if (request.manifest !== undefined && !request.verify)
    throw new UsageError('--manifest names the MANIFEST the sets are verified against: it cannot go with --no-verify')
  const requested = {
    release: request.release === undefined ? undefined : parseRelease(request.release),
    platform: request.platform === undefined ? undefined : parsePlatform(request.platform),
    mirror: request.mirror,
  }
  const pkgbase = usesPkgbase(request.pkgbase ?? false, requested.release)
  const host = await observeHost(config, pkgbase ? {...requested, mirror: undefined} : requested, deps)
  if (usesPkgbase(pkgbase, host.release)) {
    if (request.src || request.manifest !== undefined)
      throw new UsageError(
        `${request.src ? '-s' : '--manifest'} is for distribution sets: pkgbase installs have neither`,
      )
    if (!request.pkgbase) deps.log.warn(`${host.release.name} has no distribution sets: installing it from pkgbase`)
    return installFromPkgbase(config, host, {...request, set: request.pkgbaseSet}, deps)
  }
  if (request.pkgbaseSet !== undefined) throw new UsageError('--set chooses a pkgbase set: give --pkgbase too')
  await refuseToReplace(config, host.installed, request.force, deps)
  if (request.patch) {
    await refuseRaisedSecurelevel(
      deps.run,
      'freebsd-update cannot patch the new base; use --no-patch or lower the securelevel',
    )
  }
  if (!request.verify) deps.log.warn('--no-verify: distribution sets will NOT be checked against MANIFEST sha256 sums')

  if (request.dryRun) {
    const {plan} = await observeAndPlan(config, host, request, deps)
    const lines = describeInstallPlan(plan, (base) => updateArgvs(config, base))
    return resultOf({plan, lines, dryRun: true, cached: await cachedSets(plan)})
  }
  const lock = await lockHost(config.dbdir, deps, 'install', {waitMs: request.lockWaitMs})
  // Every program is noted in the lock: if tsez is killed, the next command waits for what it left running.
  const tracked = {...deps, run: lock.track(deps.run)}
  try {
    await recoverInterruptedInstall(config, tracked)
    // Another install may have finished, and jails mounted its base, while this one waited: look again.
    const now = {...host, installed: await observeInstalled(config)}
    await refuseToReplace(config, now.installed, request.force, tracked)
    const {plan, manifest} = await observeAndPlan(config, now, request, tracked)
    const lines = describeInstallPlan(plan, (base) => updateArgvs(config, base))
    return resultOf({plan, lines, dryRun: false, applied: await applyInstall(config, plan, manifest, tracked)})
  } finally {
    await lock.release()
  }
}

/** Reads MANIFEST and the flavours (nothing is changed) and turns them, with the host and the request, into the plan. */
async function observeAndPlan(config: TsezConfig, host: HostFacts, request: InstallRequest, deps: Deps) {
  const {entries: manifest, trusted} = await readManifest(config, host, {
    verify: request.verify,
    manifest: request.manifest,
    limits: fetchLimits(deps.env),
    note: (line) => deps.log.info(line),
  })
  const flavours = await observeFlavours(config, deps)
  const plan = planInstall(config, {
    ...host,
    ...flavours,
    manifest,
    trustedManifest: trusted,
    withSrc: request.src,
    patch: request.patch,
  })
  return {plan, manifest}
}

/** The sets a run would take from the cache (verified there under their sha256) instead of the mirror. */
async function cachedSets(plan: InstallPlan): Promise<Set<string>> {
  const cached = new Set<string>()
  for (const set of plan.sets) if (set.cachePath && (await pathExists(set.cachePath))) cached.add(set.name)
  return cached
}

function updateArgvs(config: TsezConfig, base: string): string[][] {
  const paths = freebsdUpdatePaths(config.dbdir)
  const call = (command: string) => freebsdUpdateCall(base, paths, 'VERSION', [command]).argv
  return [call('fetch'), [...call('install'), '(repeated until it exits 2)']]
}

/** LINES: the plan's steps, one line each (a dry run's output, and what a real run set out to do). */
type Outcome = {plan: InstallPlan; lines: string[]} & (
  {dryRun: true; cached: Set<string>} | {dryRun: false; applied: AppliedInstall}
)

function resultOf(outcome: Outcome): InstallResult {
  const {plan} = outcome
  const applied = outcome.dryRun ? undefined : outcome.applied
  return {
    release: plan.release.name,
    userland: applied?.userland ?? null,
    machine: plan.platform.machine,
    arch: plan.platform.arch,
    mirror: describeMirror(plan.mirror),
    sets: plan.sets.map((planned) => {
      const done = applied?.sets.find((s) => s.name === planned.name)
      return {
        name: planned.name,
        file: planned.file,
        sha256: done?.sha256 ?? planned.sha256 ?? null,
        bytes: done?.bytes ?? null,
        entries: done?.entries ?? planned.entries ?? null,
        cached: outcome.dryRun ? outcome.cached.has(planned.name) : (done?.fromCache ?? false),
      }
    }),
    paths: {basejail: plan.basejail, newjail: plan.newjail, flavours: plan.flavoursDir, record: plan.record},
    flavoursInstalled: applied?.flavours ?? [],
    patched: plan.patch && !outcome.dryRun,
    dryRun: outcome.dryRun,
    plan: outcome.lines,
  }
}
