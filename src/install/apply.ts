// Carries out an install plan: build the tree in staging, patch it, split it, swap it in, then the flavours.
import {cp, mkdir, rename, rm} from 'node:fs/promises'
import path from 'node:path'

import {
  fetchAndInstall,
  freebsdUpdatePaths,
  readUserlandVersion,
  renderFreebsdUpdateConf,
} from '../base/freebsd-update.js'
import {installRecordPath, newInstallRecord, renderInstallRecord, type InstallRecord} from '../base/install-record.js'
import {splitWorld} from '../base/split.js'
import {recoverStaging, stagingPaths, swapIn} from '../base/staging.js'
import {finishDatasetSwap, recoverDatasetSwap, swapInDatasets, type ZfsLayout} from '../base/zfs-swap.js'
import {clearPendingStep} from '../base/update-journal.js'
import {forgetBasedir} from '../base/update-state.js'
import type {TsezConfig} from '../config.js'
import {applyFileFlags} from '../dist/file-flags.js'
import {renderManifest, type ManifestEntry} from '../dist/manifest.js'
import type {Deps} from '../system/deps.js'
import {removeOwnTree, writeFileAtomic} from '../system/files.js'
import {zfsStamp} from '../system/zfs.js'
import type {InstallPlan} from './plan.js'
import {installSet, type InstalledSet} from './set.js'
import {count} from '../ui/count.js'

export interface AppliedInstall {
  sets: InstalledSet[]
  /** USERLAND_VERSION of the installed tree (after patching). */
  userland: string
  flavours: string[]
}

/**
 * Brings the host back to a consistent state after an interrupted install (run with the host lock held). The
 * partial downloads it left in the cache go when a set of that release is next opened (dist/fetch.ts openSet).
 */
export async function recoverInterruptedInstall(config: TsezConfig, deps: Deps): Promise<void> {
  const targets = {basejail: config.basejail, newjail: config.newjail, record: installRecordPath(config)}
  const staging = stagingPaths(config.jaildir)
  const layout = zfsLayout(config)
  const stamp = zfsStamp(deps.clock.now())
  if (layout) for (const action of await recoverDatasetSwap(deps.run, layout, staging, targets, stamp)) deps.log.info(action) // prettier-ignore
  for (const action of await recoverStaging(deps.run, staging, targets)) deps.log.info(action)
}

/** With tsez_use_zfs, the basejail and newjail are the datasets PARENT/basejail and PARENT/newjail. */
function zfsLayout(config: TsezConfig): ZfsLayout | undefined {
  return config.useZfs ? {parent: config.zfsParent, properties: config.zfsProperties} : undefined
}

/** How the staging tree is filled (distribution sets or pkgbase); the split, swap and commit are shared. */
export interface StagingFill {
  /** Fills FULL with the whole base and returns the record to commit with it. */
  fill(full: string): Promise<InstallRecord>
  /** Runs after the split, before the swap (pkgbase: its package database moves into the basejail). */
  afterSplit?(full: string, basejail: string): Promise<void>
}

/** The whole install after planning: the new trees in place and committed, then what belongs with them. */
export async function applyInstall(
  config: TsezConfig,
  plan: InstallPlan,
  manifest: Map<string, ManifestEntry> | undefined,
  deps: Deps,
): Promise<AppliedInstall> {
  let sets: InstalledSet[] = []
  const fill = async (full: string) => {
    const filled = await fillFromSets(config, plan, full, deps)
    sets = filled.sets
    return filled.record
  }
  const record = await buildAndSwap(config, plan, {fill}, deps)
  await afterSwap(config, plan.basejail)
  if (manifest && plan.manifestCache) await writeFileAtomic(plan.manifestCache, renderManifest(manifest))
  const flavours = await installShippedFlavours(plan, deps)
  return {sets, userland: record.userland, flavours}
}

/**
 * freebsd-update's state and tsez's note for the basejail path describe the tree just replaced: a half-done
 * install resumed, or a rollback undone, on the new tree would mix the two.
 */
export async function afterSwap(config: TsezConfig, basejail: string): Promise<void> {
  await forgetBasedir(freebsdUpdatePaths(config.dbdir).workdir, basejail)
  await clearPendingStep(config)
}

async function fillFromSets(config: TsezConfig, plan: InstallPlan, full: string, deps: Deps) {
  const sets: InstalledSet[] = []
  for (const set of plan.sets) sets.push(await installSet(set, plan, deps, sets.at(-1)?.tree))
  await applyFileFlags(
    deps.run,
    full,
    sets.flatMap((s) => s.flags),
  )
  let userland = await readUserlandVersion(full)
  if (plan.patch) {
    await patchTree(config, plan, full, userland, deps)
    userland = await readUserlandVersion(full)
  }
  const record = newInstallRecord({
    release: plan.release,
    userland,
    platform: plan.platform,
    mirror: plan.mirror,
    sets: sets.map(({name, file, sha256, entries}) => ({name, file, sha256, entries})),
    patched: plan.patch,
    installedAt: deps.clock.now(),
  })
  return {sets, record}
}

/** Fills staging, splits it, swaps it in and commits the record; on any failure the previous install stays. */
export async function buildAndSwap(
  config: TsezConfig,
  plan: Pick<InstallPlan, 'basejail' | 'newjail' | 'record'>,
  filling: StagingFill,
  deps: Deps,
): Promise<InstallRecord> {
  const staging = stagingPaths(config.jaildir)
  const targets = {basejail: plan.basejail, newjail: plan.newjail, record: plan.record}
  const layout = zfsLayout(config)
  const stamp = zfsStamp(deps.clock.now())
  try {
    await mkdir(config.jaildir, {recursive: true, mode: 0o700})
    await mkdir(staging.root, {mode: 0o700})
    await mkdir(staging.full, {mode: 0o755})
    const record = await filling.fill(staging.full)
    await splitWorld(staging.full, staging.basejail)
    await filling.afterSplit?.(staging.full, staging.basejail)
    await mkdir(path.dirname(plan.record), {recursive: true, mode: 0o700})
    if (layout === undefined) await swapIn(staging, targets, renderInstallRecord(record))
    else {
      await swapInDatasets(deps.run, layout, staging, targets, renderInstallRecord(record), deps.fs)
      // Committed. Staging goes only once nothing replaced is mounted in it; else the next install finishes.
      const finished = await finishDatasetSwap(deps.run, layout, stamp).catch((error: Error) => {
        deps.log.warn(`the replaced datasets are left for the next tsez install: ${error.message}`)
        return undefined
      })
      if (finished === undefined) return record
      for (const line of finished) deps.log.info(line)
    }
    await removeOwnTree(deps.run, staging.root)
    return record
  } catch (error) {
    // Nothing half-made may remain: roll back a begun swap, then drop the staging tree, but only once no dataset
    // is mounted in it any more (else the next install recovers it).
    const datasetsBack =
      layout === undefined ||
      (await recoverDatasetSwap(deps.run, layout, staging, targets, stamp).then(
        () => true,
        (cleanup: Error) => deps.log.warn(`cleanup failed: ${cleanup.message}`),
      ))
    if (datasetsBack === true)
      await recoverStaging(deps.run, staging, targets).catch((cleanup: Error) =>
        deps.log.warn(`cleanup failed: ${cleanup.message}`),
      )
    throw error
  }
}

async function patchTree(config: TsezConfig, plan: InstallPlan, root: string, userland: string, deps: Deps) {
  const paths = freebsdUpdatePaths(config.dbdir)
  await mkdir(paths.workdir, {recursive: true, mode: 0o700})
  await writeFileAtomic(
    paths.conf,
    renderFreebsdUpdateConf({src: plan.sets.some((s) => s.name === 'src'), workdir: paths.workdir}),
  )
  const step = deps.progress.step(`patching ${plan.release.name} with freebsd-update`)
  try {
    const {installRounds} = await fetchAndInstall(deps.run, deps.env, root, paths, userland, ['fetch'])
    step.succeed(
      `freebsd-update: ${installRounds ? `installed updates in ${count(installRounds, 'round')}` : 'already up to date'}`,
    )
  } catch (error) {
    step.fail(`freebsd-update failed`)
    throw error
  } finally {
    // freebsd-update filed its state under the staging path, which no later run will name: not kept.
    await forgetBasedir(paths.workdir, root)
  }
}

/** Copies shipped flavours that are missing (never over a user's flavour), each through a temp dir and a rename. */
export async function installShippedFlavours(
  plan: Pick<InstallPlan, 'flavoursDir' | 'flavoursToInstall'>,
  deps: Deps,
): Promise<string[]> {
  await mkdir(plan.flavoursDir, {recursive: true, mode: 0o755})
  for (const name of plan.flavoursToInstall) {
    const temp = path.join(plan.flavoursDir, `.tsez-tmp-${name}`)
    await rm(temp, {recursive: true, force: true})
    await cp(path.join(deps.packageRoot, 'flavours', name), temp, {
      recursive: true,
      preserveTimestamps: true,
      verbatimSymlinks: true,
    })
    await rename(temp, path.join(plan.flavoursDir, name))
  }
  return plan.flavoursToInstall
}
