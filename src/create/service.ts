// tsez create: observe the host, plan, then build the jail in staging and commit it with its record, atomically.
import {randomBytes} from 'node:crypto'
import {copyFile, chmod, chown, lstat, mkdir, rename} from 'node:fs/promises'
import path from 'node:path'

import type {TsezConfig} from '../config.js'
import {OperationError, UsageError, describeError} from '../errors.js'
import {jailNameFor} from '../jail/names.js'
import {writeJailRecord, type JailRecord} from '../jail/store.js'
import {copyTree} from '../system/copy-tree.js'
import type {Deps} from '../system/deps.js'
import {pathExists, writeFileAtomic} from '../system/files.js'
import {lockHost} from '../system/lock.js'
import {renderJailConfFor, renderJailFstab} from '../jail/files.js'
import {REMOVE_LIST, applyRemoveList} from '../jail/flavour-remove.js'
import {CREATE_MARK, beginJournal, journalFile, removeJournal, sweepInterruptedCreates} from '../jail/journal.js'
import {recoverInterruptedJailWork} from '../jail/recover.js'
import {writeVnetRcFiles} from '../jail/vnet-rc.js'
import {
  describeCreatePlan,
  isFlavourMetadata,
  planCreate,
  type CreateObservation,
  type CreatePlan,
  type CreateRequest,
} from './plan.js'
import {assumeCurrent, observeZfs, type ZfsCloneStep, type ZfsObservation} from './zfs.js'
import {cloneGuessed, cloneListed, readSnapshotRecord} from './checked-clone.js'
import {observe, observeFiles} from './observe.js'

export interface CreateOptions extends CreateRequest {
  dryRun: boolean
  lockWaitMs: number
}

export interface CreateResult {
  jail: JailRecord
  files: {conf: string; fstab: string; record: string}
  firstboot: string[]
  dryRun: boolean
  plan: string[]
}

export async function createJail(config: TsezConfig, options: CreateOptions, deps: Deps): Promise<CreateResult> {
  const withZfs = config.useZfs && !options.existingRoot
  if (options.dryRun)
    return resultOf(planOrRefuse(config, options, await observe(config, options, deps, withZfs)), true)
  // Bad input is refused before the lock. On ZFS the pool is listed once, under the lock, where the plan that is
  // carried out is made; here only to name every problem of a refusal at once. A killed create of NAME (a journal)
  // may be what is in the way: its leftovers are swept under the lock first, then the plan decides.
  const first = planCreate(config, options, await observe(config, options, deps, false))
  if (Array.isArray(first) && !(await pathExists(journalFile(config, jailNameFor(options.name))))) {
    const full = withZfs ? planCreate(config, options, await observe(config, options, deps, true)) : first
    throw new UsageError((Array.isArray(full) ? full : first).join('; '))
  }

  const lock = await lockHost(config.dbdir, deps, `create ${jailNameFor(options.name)}`, {waitMs: options.lockWaitMs})
  try {
    for (const removed of await sweepInterruptedCreates(config, deps.run)) {
      deps.log.info(`removed ${removed}, left by an interrupted tsez create`)
    }
    await recoverInterruptedJailWork(config, deps)
    // Under the lock the host may have changed since we looked: plan again before touching anything. On ZFS the
    // snapshot the last create cloned is cloned again, and the one zfs list runs beside the clone (checked-clone.ts);
    // without a record of it the plan needs the list, which starts at once, beside the file reads.
    const name = jailNameFor(options.name)
    const recorded = withZfs ? await readSnapshotRecord(config) : undefined
    let listing = withZfs && recorded === undefined ? observeZfs(config, name, deps) : undefined
    const list = () => (listing ??= observeZfs(config, name, deps))
    const local = await observeFiles(config, options, name, deps)
    const nonce = Array.isArray(first) ? randomBytes(4).toString('hex') : nonceOf(first)
    const planWith = (zfs: ZfsObservation | undefined) =>
      planCreate(config, options, {...local, nonce, ...(zfs === undefined ? {} : {zfs})})
    const guess = recorded === undefined ? undefined : planWith(assumeCurrent(config, recorded))
    if (guess !== undefined && !Array.isArray(guess) && guess.zfs?.takeSnapshot === false) {
      const replan = (seen: ZfsObservation) => zfsStepOf(planWith(seen))
      const made = await apply(config, guess, deps, (step) => cloneGuessed(config, step, list, replan, deps))
      return resultOf(made, false)
    }
    const plan = planOrRefuse(config, options, {...local, nonce, ...(withZfs ? {zfs: await list()} : {})})
    const listed = async (step: ZfsCloneStep) => {
      await cloneListed(config, step, recorded, deps)
      return step
    }
    return resultOf(await apply(config, plan, deps, listed), false)
  } finally {
    await lock.release()
  }
}

/** PLANNED's clone step, or its problems. */
function zfsStepOf(planned: CreatePlan | string[]): ZfsCloneStep | string[] {
  if (Array.isArray(planned)) return planned
  return planned.zfs ?? ['tsez_use_zfs is YES but create planned no clone']
}

/** The plan, or every problem as one UsageError (exit 2, nothing changed). */
function planOrRefuse(config: TsezConfig, request: CreateRequest, seen: CreateObservation): CreatePlan {
  const planned = planCreate(config, request, seen)
  if (Array.isArray(planned)) throw new UsageError(planned.join('; '))
  return planned
}

function resultOf(plan: CreatePlan, dryRun: boolean): CreateResult {
  return {
    jail: plan.record,
    files: {conf: plan.files.conf, fstab: plan.files.fstab, record: plan.files.record},
    firstboot: plan.flavours.flatMap((f) => (f.script ? [`/${f.script.target}`] : [])),
    dryRun,
    plan: describeCreatePlan(plan),
  }
}

function nonceOf(plan: CreatePlan): string {
  return plan.staging === undefined ? randomBytes(4).toString('hex') : (plan.staging.split('.').pop() ?? '')
}

/** Makes the clone of a ZFS create (STEP, or another the list called for) and returns the step carried out. */
type CloneMaker = (step: ZfsCloneStep) => Promise<ZfsCloneStep>

/**
 * Journal, staging copy or clone, flavours, fstab, conf, root into place, record (the commit), journal removed.
 * Returns the plan carried out (on ZFS its clone step may be another than planned).
 */
async function apply(config: TsezConfig, plan: CreatePlan, deps: Deps, makeClone: CloneMaker): Promise<CreatePlan> {
  const {record, files, staging} = plan
  const zfs = plan.zfs && {dataset: plan.zfs.dataset, mark: plan.zfs.mark, property: CREATE_MARK}
  await beginJournal(config, {name: record.name, root: record.root, staging, zfs}, deps.clock.now())
  // fstab and jail.conf, both fsyncs at once, each settled before any undo. On ZFS they are written while zfs
  // clones (the copy on UFS runs on this thread: nothing would overlap it; it fails first, before any directory).
  const writeFiles = () =>
    Promise.allSettled([
      writeFileAtomic(files.fstab, renderJailFstab(config, record)),
      writeFileAtomic(files.conf, renderJailConfFor(config, record)),
    ])
  let written = plan.zfs === undefined ? undefined : writeFiles()
  let made = plan
  try {
    if (plan.templateEtc) await bootstrapTemplateEtc(config, plan.newjail, plan.templateEtc.release, deps)
    if (staging !== undefined) await buildRoot(plan, staging, deps)
    if (plan.zfs !== undefined) made = {...plan, zfs: await makeClone(plan.zfs)}
    if (plan.zfs !== undefined) for (const flavour of plan.flavours) await applyFlavour(record.root, flavour, deps)
    written ??= writeFiles()
    const failed = (await written).find((outcome) => outcome.status === 'rejected')
    if (failed !== undefined) throw failed.reason instanceof Error ? failed.reason : new Error(String(failed.reason))
    if (plan.rcFiles !== undefined) await writeVnetRcFiles(staging ?? record.root, plan.rcFiles)
    if (staging !== undefined) await rename(staging, record.root)
    await writeJailRecord(config, record)
  } catch (error) {
    await written
    await undo(config, plan, deps)
    // A refusal once the list was seen (a dataset in the way): what this create wrote is gone again.
    if (error instanceof UsageError) throw error
    throw new OperationError(`creating jail ${record.name} failed, nothing of it was kept: ${describeError(error)}`, {
      cause: error,
    })
  }
  await removeJournal(config, record.name)
  return made
}

/**
 * Records the stock /etc of the template's release as its etcupdate state, once, so every copy carries it. Not
 * fatal: without it (no cached base set and no network, say) `tsez update -U` bootstraps each jail on first need.
 */
async function bootstrapTemplateEtc(config: TsezConfig, newjail: string, release: string, deps: Deps): Promise<void> {
  try {
    // Imported here: it brings node-tar and the set fetcher, which every later create can do without.
    const {bootstrapJailEtc} = await import('../etc/bootstrap.js')
    await bootstrapJailEtc(config, {name: path.basename(newjail), root: newjail, release}, deps)
  } catch (error) {
    deps.log.warn(
      `the template's etcupdate state for ${release} could not be recorded (tsez update -U will record each ` +
        `jail's on first need): ${describeError(error)}`,
    )
  }
}

/** The newjail copied into STAGING, then each flavour laid over it. */
async function buildRoot(plan: CreatePlan, staging: string, deps: Deps): Promise<void> {
  await mkdir(path.dirname(staging), {recursive: true, mode: 0o700})
  const step = deps.progress.step(`copying ${plan.newjail} to ${plan.record.root}`)
  try {
    const copied = copyTree(plan.newjail, staging, {fs: deps.fs})
    step.succeed(`copied ${copied.files + copied.hardLinks + copied.symlinks + copied.directories} entries`)
  } catch (error) {
    step.fail(`copying ${plan.newjail} failed`)
    throw error
  }
  for (const flavour of plan.flavours) await applyFlavour(staging, flavour, deps)
}

async function applyFlavour(root: string, flavour: CreatePlan['flavours'][number], deps: Deps) {
  try {
    const removeList = path.join(flavour.dir, REMOVE_LIST)
    if ((await lstat(removeList).catch(() => undefined))?.isFile()) applyRemoveList(root, removeList)
    copyTree(flavour.dir, root, {overlay: true, skip: isFlavourMetadata, fs: deps.fs})
    if (flavour.script) {
      const target = path.join(root, flavour.script.target)
      await makeRealDirs(root, path.dirname(flavour.script.target))
      await copyFile(flavour.script.source, target)
      await chown(target, 0, 0)
      await chmod(target, 0o700)
    }
  } catch (error) {
    throw new OperationError(`flavour ${flavour.name} (${flavour.dir}): ${describeError(error)}`, {cause: error})
  }
}

/** mkdir -p REL under ROOT, refusing any component that exists as something other than a real directory. */
async function makeRealDirs(root: string, rel: string): Promise<void> {
  let dir = root
  for (const part of rel.split('/')) {
    dir = path.join(dir, part)
    const existing = await lstat(dir).catch(() => undefined)
    if (existing === undefined) await mkdir(dir, {mode: 0o700})
    else if (!existing.isDirectory()) throw new OperationError(`${dir} is not a directory`)
  }
}

/** Removes everything this create made, as the journal lists it (the journal last, so the next sweep can finish). */
async function undo(config: TsezConfig, plan: CreatePlan, deps: Deps): Promise<void> {
  try {
    await sweepInterruptedCreates(config, deps.run, plan.record.name)
  } catch (error) {
    deps.log.warn(
      `could not remove everything of the failed create (the next tsez create will): ${describeError(error)}`,
    )
  }
}
