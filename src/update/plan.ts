// Pure update planning: (request, observed host facts) → the base commands, etc tarballs and per-jail steps to run.

import {installRecordPath} from '../base/install-record.js'
import {touchesBase, type BaseCommand, type BaseProvider, type ProviderConf} from '../base/provider.js'
import type {PendingBaseStep} from '../base/update-journal.js'
import type {TsezConfig} from '../config.js'
import {UsageError} from '../errors.js'
import {compareReleases, parseRelease, type Release} from '../dist/release.js'
import type {EtcSource} from '../etc/tarball.js'
import {etcExtractArgv, etcMergeArgv, etcTarballPath} from '../etc/etcupdate.js'
import {unfinishedWork} from './resume.js'

export type UpdateAction = 'patch' | 'upgrade' | 'rollback' | 'build' | 'installworld'

/** A jail root whose /etc follows the base: every jail, plus the newjail template (so new jails start current). */
export interface EtcTarget {
  name: string
  root: string
  /** jail.conf file for restarts; undefined for the newjail. */
  conf: string | undefined
  running: boolean
  hasEtcState: boolean
  /** The release its /etc was made for (the jail record's, or the installed one for the newjail). */
  release: string
  template: boolean
}

export {touchesBase, type BaseCommand}

export interface UpdatePlan {
  action: UpdateAction
  basejail: string
  versionBefore: string
  targetRelease: string | undefined
  snapshot: {dataset: string; name: string} | undefined
  /** Stock /etc tarballs needed, built before the base is touched. */
  tarballs: Array<{source: EtcSource; path: string; exists: boolean}>
  /** Targets without etcupdate state, bootstrapped for their current release before the base is touched. */
  bootstraps: Array<{target: EtcTarget; tarball: string}>
  /** tsez's own freebsd-update.conf or FreeBSD-base repository config and its dir, (re)written before they run. */
  updateConf: ProviderConf | undefined
  /** An earlier run left freebsd-update's install half done: the base step only finishes it (no fetch/upgrade). */
  resume: boolean
  /** An earlier -U installed the new base but stopped before its /etc merges: no base step, only the merges. */
  finishMerges: boolean
  /** -U to the release the basejail already runs: nothing is run or written. */
  upToDate: boolean
  base: BaseCommand[]
  record: string
  /** After the base changed: one etcupdate merge per target (upgrade only). */
  merges: Array<{target: EtcTarget; tarball: string}>
  /** Every jail (and, for upgrades, the newjail). */
  targets: EtcTarget[]
  /** Running jails that run on the changed base. */
  running: EtcTarget[]
  restart: boolean
  parallel: number
}

export interface PlanFacts {
  versionBefore: string
  /** Who patches and upgrades this basejail (freebsd-update or pkg), from its install record. */
  provider: BaseProvider
  dataset: string | undefined
  targets: EtcTarget[]
  /** For upgrade: where the new release's and each older release's stock /etc come from. */
  etcSources: {target: EtcSource | undefined; byRelease: Map<string, EtcSource>}
  tarballExists: (release: string) => boolean
  /** The basejail has /usr/src: freebsd-update's conf then lists the src component too. */
  baseHasSrc: boolean
  /** freebsd-update's workdir holds an install for the basejail that stopped half way (base/update-state.ts). */
  halfDoneInstall: boolean
  /** tsez's note of the install it began (base/update-journal.ts): what a half-done install was for. */
  pendingStep: PendingBaseStep | undefined
  now: Date
}

export interface PlanRequest {
  action: UpdateAction
  /** -U: the release to upgrade to. */
  release: Release | undefined
  parallel: number
  restart: boolean
}

export function planUpdate(config: TsezConfig, request: PlanRequest, facts: PlanFacts): UpdatePlan {
  const upgrade = request.action === 'upgrade'
  const unfinished = unfinishedWork(request, facts)
  const resume = unfinished === 'install'
  const finishMerges = unfinished === 'merges'
  const upToDate =
    !unfinished && upgrade && request.release !== undefined && alreadyAt(facts.versionBefore, request.release)
  if (upToDate) return noOpPlan(config, request, facts)
  const tarballs: UpdatePlan['tarballs'] = []
  const tarballFor = (source: EtcSource) => {
    const file = etcTarballPath(config, source.release.name)
    if (!tarballs.some((t) => t.path === file)) {
      tarballs.push({source, path: file, exists: facts.tarballExists(source.release.name)})
    }
    return file
  }
  const targetSource = facts.etcSources.target
  const newTarball = upgrade && targetSource ? tarballFor(targetSource) : undefined
  const bootstraps = upgrade
    ? facts.targets
        .filter((target) => !target.hasEtcState)
        .map((target) => {
          const source = facts.etcSources.byRelease.get(target.release)
          if (!source) throw new Error(`no etc source planned for ${target.release}`)
          return {target, tarball: tarballFor(source)}
        })
    : []
  return {
    action: request.action,
    basejail: config.basejail,
    versionBefore: facts.versionBefore,
    targetRelease: upgrade ? targetSource?.release.name : undefined,
    snapshot:
      facts.dataset && !finishMerges ? {dataset: facts.dataset, name: `tsez-update-${stamp(facts.now)}`} : undefined,
    tarballs,
    bootstraps,
    updateConf: finishMerges ? undefined : updateConfFor(request, facts),
    resume,
    finishMerges,
    upToDate: false,
    base: finishMerges ? [] : baseCommands(request, facts, resume),
    record: installRecordPath(config),
    merges: newTarball ? facts.targets.map((target) => ({target, tarball: newTarball})) : [],
    targets: facts.targets,
    running: facts.targets.filter((target) => target.running),
    restart: request.restart,
    parallel: request.parallel,
  }
}

/**
 * Whether -U -r TARGET names the release the basejail runs (then there is nothing to do). An older TARGET is refused
 * (exit 2): freebsd-update upgrades only, and would leave a base that is neither release; a reinstall is the way.
 */
function alreadyAt(versionBefore: string, target: Release): boolean {
  let current: Release
  try {
    current = parseRelease(versionBefore)
  } catch {
    return false // a userland tsez cannot read: freebsd-update itself will judge the upgrade
  }
  const order = compareReleases(target, current)
  if (order < 0) {
    throw new UsageError(
      `the basejail runs ${versionBefore}: freebsd-update cannot downgrade it to ${target.name}; ` +
        `reinstall with tsez install -r ${target.name} --force`,
    )
  }
  return order === 0
}

/** -U to the release already there: every target reported, nothing to fetch, build, run or write. */
function noOpPlan(config: TsezConfig, request: PlanRequest, facts: PlanFacts): UpdatePlan {
  return {
    action: request.action,
    basejail: config.basejail,
    versionBefore: facts.versionBefore,
    targetRelease: request.release?.name,
    snapshot: undefined,
    tarballs: [],
    bootstraps: [],
    updateConf: undefined,
    resume: false,
    finishMerges: false,
    upToDate: true,
    base: [],
    record: installRecordPath(config),
    merges: [],
    targets: facts.targets,
    running: [],
    restart: request.restart,
    parallel: request.parallel,
  }
}

function updateConfFor(request: PlanRequest, facts: PlanFacts): UpdatePlan['updateConf'] {
  if (request.action === 'build' || request.action === 'installworld') return undefined
  return facts.provider.conf(request.release, facts.baseHasSrc)
}

function baseCommands(request: PlanRequest, facts: PlanFacts, resume: boolean): BaseCommand[] {
  switch (request.action) {
    case 'patch':
      return facts.provider.patch(resume)
    case 'upgrade':
      return facts.provider.upgrade(request.release ?? parseRelease(facts.versionBefore), resume)
    case 'rollback':
      return facts.provider.rollback()
    case 'build':
    case 'installworld':
      throw new Error('update -b/-i builds into staging: planned by update/source-plan.ts')
  }
}

/** UTC, sortable and valid in a ZFS snapshot name: 20261128T152000Z. */
function stamp(now: Date): string {
  return now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')
}

/** The plan as --dry-run prints it: every program with its argv, every file written, for every jail. */
export function describeUpdatePlan(plan: UpdatePlan): string[] {
  const lines = [`update ${plan.basejail} (${plan.versionBefore}) by ${plan.action}`]
  lines.push('run sysctl -n kern.securelevel (refuse when > 0)')
  if (plan.upToDate)
    return [...lines, `note the basejail ${upToDateNote(plan.versionBefore)}; nothing is run or written`]
  for (const t of plan.tarballs) {
    lines.push(t.exists ? `reuse ${t.path}` : `build ${t.path} from ${t.source.release.name} ${stockOrigin(t.source)}`)
  }
  for (const {target, tarball} of plan.bootstraps)
    lines.push(`run etcupdate ${etcExtractArgv(target.root, tarball).join(' ')}`)
  if (plan.updateConf) {
    const what = plan.base.some((c) => c.program === 'pkg') ? 'FreeBSD-base repository' : 'freebsd-update.conf'
    lines.push(`mkdir ${plan.updateConf.workdir} (mode 0700)`, `write ${plan.updateConf.file} (tsez's own ${what})`)
  }
  if (plan.resume) lines.push('note an earlier install stopped half way: finish it (no fetch or upgrade first)')
  if (plan.finishMerges) lines.push(`note the basejail already runs ${plan.targetRelease}: finish its /etc merges`)
  const firstTouch = plan.base.find((command) => touchesBase(command))
  for (const command of plan.base) {
    if (command === firstTouch && plan.snapshot) {
      lines.push(`run zfs snapshot ${plan.snapshot.dataset}@${plan.snapshot.name} (just before the basejail changes)`)
    }
    const env = Object.entries(command.env).map(([key, value]) => `${key}=${value} `)
    const repeat = command.repeat ? ' (repeated until it exits 2)' : ''
    lines.push(`run ${env.join('')}${command.program} ${command.argv.join(' ')}${repeat}`)
  }
  lines.push(`write ${plan.record} (release and userland from ${plan.basejail}/bin/freebsd-version)`)
  for (const {target, tarball} of plan.merges)
    lines.push(`run etcupdate ${etcMergeArgv(target.root, tarball).join(' ')}`)
  for (const target of plan.running) {
    if (plan.restart && target.conf) {
      lines.push(`run jail -f ${target.conf} -r ${target.name}`, `run jail -f ${target.conf} -c ${target.name}`)
    } else lines.push(`note ${target.name} is running: restart it to use the updated base`)
  }
  return lines
}

/** Where a stock /etc tarball is built from: the release's base set, or its pkgbase set installed into scratch. */
function stockOrigin(source: EtcSource): string {
  if (!source.pkgbase) return 'base.txz (verified, cached)'
  return `FreeBSD-set-${source.pkgbase.set} from ${source.pkgbase.repo.url} (pkg into a scratch root, signatures checked)`
}

/** Why -U has nothing to do (the target is the release the basejail runs), for the dry-run plan and the report. */
export function upToDateNote(versionBefore: string): string {
  return `already runs ${versionBefore.replace(/-p\d+$/, '')} (${versionBefore}): nothing to upgrade`
}
