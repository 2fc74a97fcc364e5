// tsez freeze: what a jail changed against the newjail, as a new flavour built in staging and renamed into place.
import {randomBytes} from 'node:crypto'
import {lstat, mkdir, readdir, rename} from 'node:fs/promises'
import path from 'node:path'

import type {TsezConfig} from '../config.js'
import {OperationError, UsageError, describeError} from '../errors.js'
import {recoverInterruptedJailWork} from '../jail/recover.js'
import {listJailRecords} from '../jail/store.js'
import type {Deps} from '../system/deps.js'
import {removeOwnTree} from '../system/files.js'
import {lockHost} from '../system/lock.js'
import {writeFlavourTree} from './build.js'
import {FREEZE_STAGING_PREFIX, describeFreezePlan, planFreeze, type FreezePlan, type FreezeRequest} from './plan.js'
import {diffAgainstTemplate} from './tree-diff.js'
import {zfsTreeChanges} from './zfs-diff.js'
import {originOf} from '../system/zfs.js'

export interface FreezeOptions extends FreezeRequest {
  dryRun: boolean
  lockWaitMs: number
}

export interface FreezeResult {
  /** The jail's name. */
  name: string
  flavour: string
  /** Entries written (files, directories, symlinks, hard links). */
  entries: number
  /** Paths listed in tsez.remove. */
  removed: number
  skipped: string[]
  dryRun: boolean
  plan: string[]
}

export async function freezeJail(config: TsezConfig, options: FreezeOptions, deps: Deps): Promise<FreezeResult> {
  const lock = await lockHost(config.dbdir, deps, `freeze ${options.name} ${options.flavour}`, {
    waitMs: options.lockWaitMs,
    dryRun: options.dryRun,
  })
  try {
    if (!options.dryRun) {
      await recoverInterruptedJailWork(config, deps)
      for (const line of await sweepFreezeLeftovers(config, deps)) deps.log.info(line)
    }
    const planned = await plan(config, options, deps)
    const result: FreezeResult = {
      name: planned.jail.name,
      flavour: planned.flavour,
      entries: 0,
      removed: 0,
      skipped: [],
      dryRun: options.dryRun,
      plan: describeFreezePlan(planned),
    }
    if (options.dryRun) return result
    return {...result, ...(await apply(planned, deps))}
  } finally {
    await lock.release()
  }
}

async function plan(config: TsezConfig, request: FreezeRequest, deps: Deps): Promise<FreezePlan> {
  const records = await listJailRecords(config)
  const jail = records.find((r) => r.name === request.name) ?? records.find((r) => r.hostname === request.name)
  const dataset = config.useZfs ? jail?.dataset : undefined
  const origin = dataset === undefined ? undefined : await originOf(deps.run, dataset)
  const planned = planFreeze(config, request, {
    records,
    ...(dataset === undefined || origin === undefined ? {} : {dataset: {name: dataset, origin}}),
    flavourExists: (await lstat(path.join(config.flavours, request.flavour)).catch(() => undefined)) !== undefined,
    newjailPresent: (await lstat(config.newjail).catch(() => undefined))?.isDirectory() === true,
    nonce: randomBytes(4).toString('hex'),
  })
  if (Array.isArray(planned)) throw new UsageError(planned.join('; '))
  return planned
}

/** Compare, write into staging, rename into place; on failure the staging tree goes. */
async function apply(plan: FreezePlan, deps: Deps): Promise<Pick<FreezeResult, 'entries' | 'removed' | 'skipped'>> {
  const step = deps.progress.step(`comparing ${plan.jail.root} with ${plan.zfsDiff?.origin ?? plan.template}`)
  try {
    const skip = new Set(plan.skip)
    const changes = plan.zfsDiff
      ? await zfsTreeChanges(deps.run, plan.zfsDiff.origin, plan.zfsDiff.dataset, plan.jail.root, skip)
      : diffAgainstTemplate(plan.jail.root, plan.template, skip)
    step.succeed(`${changes.changed.length} added or modified, ${changes.removed.length} removed`)
    await mkdir(path.dirname(plan.staging), {recursive: true, mode: 0o755})
    await mkdir(plan.staging, {mode: 0o755})
    const counts = writeFlavourTree(plan.jail.root, changes, plan.staging)
    for (const line of counts.skipped) deps.log.warn(`not frozen: ${line}`)
    await rename(plan.staging, plan.flavour)
    return counts
  } catch (error) {
    step.fail(`freezing ${plan.jail.name} failed`)
    await removeOwnTree(deps.run, plan.staging).catch(() => undefined)
    throw new OperationError(`freezing ${plan.jail.name} failed, no flavour was written: ${describeError(error)}`, {
      cause: error,
    })
  }
}

/** Removes the staging trees of killed freezes (hold the host lock). */
async function sweepFreezeLeftovers(config: TsezConfig, deps: Deps): Promise<string[]> {
  const names = await readdir(config.flavours).catch(() => [] as string[])
  const lines: string[] = []
  for (const name of names.filter((n) => n.startsWith(FREEZE_STAGING_PREFIX))) {
    await removeOwnTree(deps.run, path.join(config.flavours, name))
    lines.push(`removed ${path.join(config.flavours, name)}, left by an interrupted tsez freeze`)
  }
  return lines
}
