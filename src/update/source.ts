// update -b/-i: make the new world into staging, split and swap it in as install does, then merge every jail's /etc.
import {mkdir, readFile, rename} from 'node:fs/promises'
import path from 'node:path'

import {freebsdUpdatePaths, readUserlandVersion} from '../base/freebsd-update.js'
import {installRecordPath, type InstallRecord} from '../base/install-record.js'
import {baseProvider} from '../base/provider.js'
import {refuseRaisedSecurelevel} from '../base/securelevel.js'
import {clearPendingStep, readPendingStep, writePendingStep} from '../base/update-journal.js'
import {forgetBasedir} from '../base/update-state.js'
import type {TsezConfig} from '../config.js'
import {parseRelease} from '../dist/release.js'
import {OperationError, UsageError, quoteUnlessPlain} from '../errors.js'
import {etcSourceFor} from '../etc/bootstrap.js'
import {etcTarballPath} from '../etc/etcupdate.js'
import {ensureEtcTarball, type EtcSource} from '../etc/tarball.js'
import {buildAndSwap} from '../base/swap-install.js'
import {refuseWhileMounted} from '../jail/base-mounts.js'
import type {Deps} from '../system/deps.js'
import {pathExists, removeOwnTree} from '../system/files.js'
import {outputTail} from '../system/runner.js'
import {runMake} from './base.js'
import {bootstrapTargets, mergeTargets, unchangedOutcomes} from './jails.js'
import {observeTargets, readBaseVersion, requireInstallRecord} from './observe.js'
import {unfinishedWork} from './resume.js'
import {
  NEWVERS,
  describeSourcePlan,
  planSourceUpdate,
  releaseOfVersion,
  sameReleaseNote,
  type SourcePlan,
} from './source-plan.js'
import type {UpdateRequest, UpdateResult} from './service.js'

/** Reads the host (nothing is changed) and plans the source update; a pkgbase basejail is refused (exit 2). */
export async function planFromSource(
  config: TsezConfig,
  request: UpdateRequest & {action: 'build' | 'installworld'},
  sourcetree: string,
  deps: Deps,
): Promise<{plan: SourcePlan; install: InstallRecord}> {
  const versionBefore = await readBaseVersion(config)
  await refuseRaisedSecurelevel(
    deps.run,
    'the basejail cannot be changed; lower it at boot (kern_securelevel in rc.conf) and reboot',
  )
  const install = await requireInstallRecord(config)
  // An upgrade whose /etc merges are unfinished is finished by its own -U first (exit 2 here, naming it). A half-done
  // freebsd-update install is not in the way: the new tree replaces the whole base, and its state is dropped.
  unfinishedWork(
    {action: request.action, release: undefined},
    {halfDoneInstall: false, pendingStep: await readPendingStep(config), versionBefore},
  )
  if (!baseProvider(config, install, versionBefore).allowsInstallworld) {
    throw new UsageError(
      'the basejail was installed with pkgbase: make installworld would bypass its package database; update it with tsez update -u or -U',
    )
  }
  // Running jails have the basejail nullfs-mounted: it cannot be swapped from under them (exit 2, nothing done).
  await refuseWhileMounted(config, deps)
  const targets = (await observeTargets(config, install, deps, true)).filter((target) => !target.template)
  const etcSources = new Map<string, EtcSource>()
  for (const target of targets.filter((t) => !t.hasEtcState))
    etcSources.set(target.release, etcSourceFor(config, install, parseRelease(target.release)))
  const present = new Set<string>()
  for (const release of etcSources.keys()) if (await pathExists(etcTarballPath(config, release))) present.add(release)
  const ncpu = Number((await deps.run.run('sysctl', ['-n', 'hw.ncpu'])).stdout.trim())
  const plan = planSourceUpdate(
    config,
    {action: request.action, parallel: request.parallel},
    {
      sourcetree,
      newvers: await readFile(path.join(sourcetree, NEWVERS), 'utf8').catch(() => undefined),
      ncpu: Number.isInteger(ncpu) && ncpu > 0 ? ncpu : 1,
      versionBefore,
      targets,
      etcSources,
      tarballExists: (release) => present.has(release),
    },
  )
  return {plan, install}
}

/** Carries out the plan (host lock held, an interrupted install already recovered). */
export async function applySourcePlan(
  config: TsezConfig,
  plan: SourcePlan,
  install: InstallRecord,
  deps: Deps,
): Promise<UpdateResult> {
  const options = {parallel: plan.parallel}
  const started = deps.clock.monotonicMs()
  // What can fail without touching anything comes first: the jails' etcupdate state, then buildworld.
  for (const tarball of plan.tarballs) await ensureEtcTarball(config, tarball.source, deps)
  await bootstrapTargets(plan.bootstraps, options, deps)
  const record = installRecordPath(config)
  const recordBefore = await readFile(record, 'utf8')
  const committed = await buildAndSwapFromSource(config, plan, install, record, deps).catch(async (error: unknown) => {
    const message = error instanceof Error ? error.message : String(error)
    // Only the removal of the staging tree comes after the commit (release.json renamed into place).
    if ((await readFile(record, 'utf8').catch(() => recordBefore)) !== recordBefore) {
      const merge = plan.etcBuild
        ? `; no jail's /etc was merged yet: tsez update -U -r ${plan.releaseAfter} merges them`
        : ''
      throw new OperationError(`${message}; the new base is in place and recorded${merge}`)
    }
    await clearPendingStep(config)
    throw new OperationError(
      `${message}; the basejail is unchanged (${plan.versionBefore}), ` +
        'no staging tree is left (or the next tsez run sweeps it) and no jail was touched',
    )
  })
  // freebsd-update's state for the basejail path described the tree just replaced (as after an install).
  await forgetBasedir(freebsdUpdatePaths(config.dbdir).workdir, plan.basejail)
  const baseDone = deps.clock.monotonicMs()
  const outcomes =
    plan.merges.length > 0 ? await mergeTargets(plan.merges, false, options, deps) : unchangedOutcomes(plan.targets)
  await clearPendingStep(config)
  return sourceResult(plan, record, {
    versionAfter: committed.userland,
    release: committed.release,
    outcomes,
    durationMs: {base: Math.round(baseDone - started), jails: Math.round(deps.clock.monotonicMs() - baseDone)},
  })
}

/** buildworld (-b), then the staging tree filled, split and swapped in by install's own steps. */
async function buildAndSwapFromSource(
  config: TsezConfig,
  plan: SourcePlan,
  install: InstallRecord,
  record: string,
  deps: Deps,
): Promise<InstallRecord> {
  if (plan.buildworld) await runStep(plan.buildworld, deps)
  const targets = {basejail: plan.basejail, newjail: plan.newjail, record}
  return buildAndSwap(config, targets, {fill: (full) => fillFromSource(config, plan, install, full, deps)}, deps)
}

/** installworld and distribution into FULL, the release checked, the new stock /etc built: the record to commit. */
async function fillFromSource(
  config: TsezConfig,
  plan: SourcePlan,
  install: InstallRecord,
  full: string,
  deps: Deps,
): Promise<InstallRecord> {
  for (const command of plan.fill) await runStep(command, deps)
  const userland = await readUserlandVersion(full)
  if (releaseOfVersion(userland) !== plan.releaseAfter) {
    throw new OperationError(
      `${quoteUnlessPlain(path.join(plan.sourcetree, NEWVERS))} names ${plan.releaseAfter} but the installed world reports ${quoteUnlessPlain(userland)}`,
    )
  }
  if (plan.etcBuild) {
    await buildStockEtc(plan.etcBuild, deps)
    // Noted before the commit, as -U notes its upgrade: a kill before every merge ran is finished by -U -r RELEASE.
    const startedAt = deps.clock.now().toISOString()
    if (plan.merges.length > 0)
      await writePendingStep(config, {action: 'upgrade', targetRelease: plan.releaseAfter, startedAt})
  }
  return {
    ...install,
    release: plan.releaseAfter,
    userland,
    provider: 'dist-sets',
    source: plan.sourcetree,
    sets: [],
    patched: false,
    installedAt: deps.clock.now().toISOString(),
  }
}

/** `etcupdate build -d WORK -s SRC WORK/etc-R.tbz`, then renamed into the tarball cache (`.build-*` is swept). */
async function buildStockEtc(build: NonNullable<SourcePlan['etcBuild']>, deps: Deps): Promise<void> {
  const step = deps.progress.step(`stock /etc: etcupdate build into ${build.tarball}`)
  try {
    await removeOwnTree(deps.run, build.workdir)
    await mkdir(build.workdir, {recursive: true, mode: 0o700})
    const result = await deps.run.tryRun('etcupdate', build.argv)
    if (result.exitCode !== 0) {
      throw new OperationError(
        `etcupdate build failed (exit ${result.exitCode}): ${outputTail(result, 3) || 'no output'}`,
      )
    }
    await rename(build.built, build.tarball)
    step.succeed(`stock /etc: ${build.tarball}`)
  } catch (error) {
    step.fail('stock /etc: etcupdate build failed')
    throw error
  } finally {
    await removeOwnTree(deps.run, build.workdir)
  }
}

async function runStep(command: SourcePlan['fill'][number], deps: Deps): Promise<void> {
  const step = deps.progress.step(`${command.program} ${command.phase}`)
  try {
    await runMake(command, deps)
    step.succeed(`${command.program} ${command.phase} done`)
  } catch (error) {
    step.fail(`${command.program} ${command.phase} failed`)
    throw error
  }
}

/** The result of a source update (or of its dry run), in the shape every update reports. */
export function sourceResult(
  plan: SourcePlan,
  record: string,
  done: Partial<Pick<UpdateResult, 'versionAfter' | 'release' | 'durationMs' | 'dryRun'>> & {
    outcomes?: UpdateResult['jails']
  },
): UpdateResult {
  const jails = done.outcomes ?? []
  return {
    action: plan.action,
    basejail: plan.basejail,
    versionBefore: plan.versionBefore,
    versionAfter: done.versionAfter ?? null,
    release: done.release ?? null,
    installRounds: 0,
    snapshot: null,
    jails,
    newjail: null,
    durationMs: done.durationMs ?? {base: 0, jails: 0},
    upToDate: false,
    attention: jails.some((outcome) => !outcome.ok),
    dryRun: done.dryRun ?? false,
    plan: describeSourcePlan(plan, record),
    etcMerged: plan.merges.length > 0,
    notes: plan.merges.length > 0 ? [] : [sameReleaseNote(plan)],
  }
}

/** Whether an update action builds from a source tree. */
export function fromSource(request: UpdateRequest): request is UpdateRequest & {action: 'build' | 'installworld'} {
  return request.action === 'build' || request.action === 'installworld'
}
