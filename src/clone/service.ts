// tsez clone: observe, plan, then copy (or zfs clone) the source into staging and commit the new jail as create does.
import {randomBytes} from 'node:crypto'
import {lstat, mkdir, rename} from 'node:fs/promises'
import path from 'node:path'

import {reservedNames, type TsezConfig} from '../config.js'
import {applyFileFlags, readTreeFlags} from '../dist/file-flags.js'
import {OperationError, UsageError, describeError} from '../errors.js'
import {removeInsideRoot} from '../jail/flavour-remove.js'
import {writeJailFilesAndRecord} from '../jail/files.js'
import {beginJournal, leftoversOf, removeJournal, sweepInterruptedCreates} from '../jail/journal.js'
import {jailNameFor} from '../jail/names.js'
import {ownershipOf} from '../jail/ownership.js'
import {recoverInterruptedJailWork} from '../jail/recover.js'
import {observeRootSurroundings, resolveExisting} from '../jail/roots.js'
import {readRunningJails} from '../jail/running.js'
import {FIRSTBOOT_DIR, jailFiles, listJailRecords, type JailRecord} from '../jail/store.js'
import {copyTree, type CopySpecials} from '../system/copy-tree.js'
import type {Deps} from '../system/deps.js'
import {makeFifos} from '../system/fifos.js'
import {lockHost} from '../system/lock.js'
import {cloneSnapshot, datasetAt, datasetExists, snapshot} from '../system/zfs.js'
import {sweepOrphanCloneSnapshots} from './orphans.js'
import {
  describeClonePlan,
  findRecord,
  planClone,
  type CloneObservation,
  type ClonePlan,
  type CloneRequest,
} from './plan.js'

export interface CloneOptions extends CloneRequest {
  dryRun: boolean
  lockWaitMs: number
}

export interface CloneResult {
  source: string
  jail: JailRecord
  files: {conf: string; fstab: string; record: string}
  dropped: string[]
  dryRun: boolean
  plan: string[]
}

export async function cloneJail(config: TsezConfig, options: CloneOptions, deps: Deps): Promise<CloneResult> {
  const nonce = randomBytes(4).toString('hex')
  const planned = planClone(config, options, await observe(config, options, deps, nonce))
  if (Array.isArray(planned)) throw new UsageError(planned.join('; '))
  const result: CloneResult = {
    source: planned.source.name,
    jail: planned.record,
    files: {conf: planned.files.conf, fstab: planned.files.fstab, record: planned.files.record},
    dropped: planned.dropped,
    dryRun: options.dryRun,
    plan: describeClonePlan(planned),
  }
  if (options.dryRun) return result

  const what = `clone ${planned.source.name} ${planned.record.name}`
  const lock = await lockHost(config.dbdir, deps, what, {waitMs: options.lockWaitMs})
  try {
    for (const removed of await sweepInterruptedCreates(config, deps.run)) {
      deps.log.info(`removed ${removed}, left by an interrupted tsez create, restore or clone`)
    }
    await recoverInterruptedJailWork(config, deps)
    for (const line of await sweepOrphanCloneSnapshots(config, deps.run)) deps.log.info(line)
    // Under the lock the host may have changed since we looked (the source started, say): plan again.
    const again = planClone(config, options, await observe(config, options, deps, nonce))
    if (Array.isArray(again)) throw new UsageError(again.join('; '))
    await apply(config, again, {...deps, run: lock.track(deps.run)}) // its programs noted in the lock as they run
  } finally {
    await lock.release()
  }
  return result
}

async function observe(
  config: TsezConfig,
  request: CloneRequest,
  deps: Deps,
  nonce: string,
): Promise<CloneObservation> {
  const records = await listJailRecords(config)
  const name = jailNameFor(request.name)
  const rootPath = path.resolve(config.jaildir, name)
  // A root an interrupted create, restore or clone of this name left is swept under the lock first.
  const leftovers = await leftoversOf(config, name)
  const leftover = leftovers.some((item) => item.path === rootPath || item.mountpoint === rootPath)
  const root = leftover ? undefined : await lstat(rootPath).catch(() => undefined)
  const files = jailFiles(config, name)
  const source = findRecord(records, request.source)
  const zfs = config.useZfs && source !== undefined
  const sourceDataset = zfs ? (source.dataset ?? (await datasetAt(deps.run, source.root))) : undefined
  return {
    records,
    ...(sourceDataset === undefined ? {} : {sourceDataset}),
    // A clone an interrupted create or clone left is its journal's, destroyed by the sweep under the lock.
    datasetTaken:
      zfs &&
      !leftovers.some((item) => item.kind === 'dataset' && item.path === `${config.zfsParent}/${name}`) &&
      (await datasetExists(deps.run, `${config.zfsParent}/${name}`)),
    reserved: reservedNames(config),
    running: [...(await readRunningJails(deps.run)).keys()],
    root: root === undefined ? 'missing' : root.isDirectory() ? 'directory' : 'other',
    rootReal: await resolveExisting(rootPath),
    around: await observeRootSurroundings(config, records),
    conf: await ownershipOf(files.conf, name),
    fstab: await ownershipOf(files.fstab, name),
    now: deps.clock.now(),
    nonce,
  }
}

/**
 * Journal, the copy into staging (FIFOs made after it), renamed into place, the source's file flags (last: schg
 * forbids any later change), fstab, conf, record (the commit), journal removed.
 */
async function apply(config: TsezConfig, plan: ClonePlan, deps: Deps): Promise<void> {
  const {record, staging, source} = plan
  await beginJournal(config, {name: record.name, root: record.root, staging, zfs: plan.zfs}, deps.clock.now())
  try {
    if (staging !== undefined) {
      await mkdir(path.dirname(staging), {recursive: true, mode: 0o755})
      const flags = (await readTreeFlags(deps.run, source.root)).filter((entry) => !isFirstBoot(entry.path.toString()))
      const specials = copyRoot(source.root, staging, deps)
      await makeFifos(deps.run, staging, specials.fifos)
      await rename(staging, record.root)
      await applyFileFlags(deps.run, record.root, flags)
      if (specials.skipped.length > 0) {
        deps.log.warn(`not copied (sockets and device nodes are made by what runs): ${specials.skipped.join(', ')}`)
      }
    }
    if (plan.zfs !== undefined) {
      const at = plan.zfs.snapshot.indexOf('@')
      await snapshot(deps.run, plan.zfs.snapshot.slice(0, at), plan.zfs.snapshot.slice(at + 1))
      await cloneSnapshot(deps.run, plan.zfs.snapshot, plan.zfs.dataset, plan.zfs.properties)
      // The clone's tree is the jail's own: never through a symlink it may hold (var -> /, say).
      removeInsideRoot(
        record.root,
        FIRSTBOOT_DIR.split('/').map((part) => Buffer.from(part)),
      )
    }
    await writeJailFilesAndRecord(config, record)
  } catch (error) {
    try {
      await sweepInterruptedCreates(config, deps.run, record.name)
    } catch (undoError) {
      deps.log.warn(
        `could not remove everything of the failed clone (the next tsez create, restore, clone or delete will): ${describeError(undoError)}`,
      )
    }
    throw new OperationError(
      `cloning ${source.name} to ${record.name} failed, nothing of it was kept: ${describeError(error)}`,
      {cause: error},
    )
  }
  await removeJournal(config, record.name)
}

function isFirstBoot(rel: string): boolean {
  return rel === FIRSTBOOT_DIR || rel.startsWith(`${FIRSTBOOT_DIR}/`)
}

/** The source's tree into STAGING, faithfully, without its pending first-start scripts; its FIFOs left to make. */
function copyRoot(root: string, staging: string, deps: Deps): CopySpecials {
  const step = deps.progress.step(`copying ${root} to ${staging}`)
  try {
    const specials: CopySpecials = {fifos: [], skipped: []}
    const copied = copyTree(root, staging, {fs: deps.fs, skip: (rel) => rel === FIRSTBOOT_DIR, specials})
    step.succeed(`copied ${copied.files + copied.hardLinks + copied.symlinks + copied.directories} entries`)
    return specials
  } catch (error) {
    step.fail(`copying ${root} failed`)
    throw error
  }
}
