// The shared end of every base build (install, pkgbase install, update -b/-i): staging filled, split, swapped in.
import {mkdir} from 'node:fs/promises'
import path from 'node:path'

import type {TsezConfig} from '../config.js'
import type {Deps} from '../system/deps.js'
import {removeOwnTree} from '../system/files.js'
import {zfsStamp} from '../system/zfs.js'
import {freebsdUpdatePaths} from './freebsd-update.js'
import {installRecordPath, renderInstallRecord, type InstallRecord} from './install-record.js'
import {splitWorld} from './split.js'
import {recoverStaging, stagingPaths, swapIn} from './staging.js'
import {clearPendingStep} from './update-journal.js'
import {forgetBasedir} from './update-state.js'
import {finishDatasetSwap, recoverDatasetSwap, swapInDatasets, type ZfsLayout} from './zfs-swap.js'

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

/**
 * freebsd-update's state and tsez's note for the basejail path describe the tree just replaced: a half-done
 * install resumed, or a rollback undone, on the new tree would mix the two.
 */
export async function afterSwap(config: TsezConfig, basejail: string): Promise<void> {
  await forgetBasedir(freebsdUpdatePaths(config.dbdir).workdir, basejail)
  await clearPendingStep(config)
}

/** Fills staging, splits it, swaps it in and commits the record; on any failure the previous install stays. */
export async function buildAndSwap(
  config: TsezConfig,
  plan: {basejail: string; newjail: string; record: string},
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
