// tsez delete: observe the jail (running, mounts, devices), plan the removal, and carry it out record last.
import {lstat, rm} from 'node:fs/promises'

import type {TsezConfig} from '../config.js'
import {OperationError, UsageError} from '../errors.js'
import {ownershipOf} from '../jail/ownership.js'
import {destroyLeftoverClone, leftoversOf, sweepKilledWrites} from '../jail/journal.js'
import {readRunningJails} from '../jail/running.js'
import {jailNameFor} from '../jail/names.js'
import {recoverInterruptedJailWork} from '../jail/recover.js'
import {within} from '../jail/roots.js'
import {jailFiles, listJailRecords, readJailRecord, writeJailRecord} from '../jail/store.js'
import {parseMountP} from '../jail/fstab.js'
import type {Deps} from '../system/deps.js'
import {CLEAR_REMOVAL_FLAGS} from '../system/files.js'
import {lockHost} from '../system/lock.js'
import {describeDeleteStep, planDelete, type DeleteObservation, type DeleteRequest, type DeleteStep} from './plan.js'
import {findOtherDevice, removeTreeOnOneDevice} from './remove-tree.js'
import {datasetTargetsOf} from './zfs.js'
import {destroy} from '../system/zfs.js'

export interface DeleteOptions extends DeleteRequest {
  dryRun: boolean
  lockWaitMs: number
}

export interface DeleteResult {
  name: string
  wiped: boolean
  stopped: boolean
  removed: string[]
  /** Jails whose depend lists no longer name it (with --dry-run: would no longer). */
  dependents: string[]
  dryRun: boolean
  plan: string[]
}

export async function deleteJail(config: TsezConfig, options: DeleteOptions, deps: Deps): Promise<DeleteResult> {
  const name = jailNameFor(options.name)
  const lock = await lockHost(config.dbdir, deps, `delete ${name}`, {
    waitMs: options.lockWaitMs,
    dryRun: options.dryRun,
  })
  try {
    if (!options.dryRun) {
      await recoverInterruptedJailWork(config, deps)
      for (const file of await sweepKilledWrites(config)) deps.log.info(`removed ${file}, left by an interrupted write`)
    }
    let seen = await observe(config, name, options, deps)
    let decision = planDelete(options, seen)
    const stop = 'steps' in decision ? decision.steps.find((s) => s.kind === 'stop') : undefined
    if (stop !== undefined && !options.dryRun) {
      // Stopping changes what is mounted: run it first, then look again before removing anything.
      await deps.run.run(stop.argv[0] ?? 'jail', stop.argv.slice(1))
      seen = await observe(config, name, options, deps)
      decision = planDelete(options, seen)
    }
    if ('usage' in decision) throw new UsageError(decision.usage)
    // A refusal that changed nothing is exit 2; after --force stopped the jail, something did change: exit 1.
    if ('failure' in decision && stop !== undefined && !options.dryRun)
      throw new OperationError(`${decision.failure} (the jail was stopped first, by --force)`)
    if ('failure' in decision) throw new UsageError(decision.failure)
    const result: DeleteResult = {
      name,
      wiped: decision.steps.some((s) => s.kind === 'remove-tree' || s.kind === 'destroy-dataset'),
      stopped: stop !== undefined,
      removed: [],
      dependents: decision.steps.flatMap((s) => (s.kind === 'undepend' ? [s.jail.name] : [])),
      dryRun: options.dryRun,
      plan: [...(stop && !options.dryRun ? [describeDeleteStep(stop)] : []), ...decision.steps.map(describeDeleteStep)],
    }
    if (options.dryRun) return result
    for (const step of decision.steps) {
      const removed = await applyStep(config, step, deps)
      if (removed !== undefined) result.removed.push(removed)
    }
    return result
  } finally {
    await lock.release()
  }
}

async function applyStep(config: TsezConfig, step: DeleteStep, deps: Deps): Promise<string | undefined> {
  switch (step.kind) {
    case 'stop':
    case 'chflags':
      await deps.run.run(step.argv[0] ?? '', step.argv.slice(1))
      return undefined
    case 'remove-tree':
      removeTreeOnOneDevice(step.path)
      return step.path
    case 'destroy-dataset':
      await destroy(deps.run, step.target)
      return step.target
    case 'remove-leftover':
      if (step.leftover.kind === 'dataset') {
        return (await destroyLeftoverClone(deps.run, step.leftover)) ? step.leftover.path : undefined
      }
      if (step.leftover.kind === 'tree') {
        await deps.run.run('chflags', ['-R', CLEAR_REMOVAL_FLAGS, step.leftover.path])
        removeTreeOnOneDevice(step.leftover.path)
      } else await rm(step.leftover.path, {force: true})
      return step.leftover.path
    case 'remove-file':
      await rm(step.path, {force: true})
      return step.path
    case 'undepend':
      await writeJailRecord(config, step.jail)
      deps.log.info(`${step.jail.name} no longer depends on ${step.dropped}`)
      return undefined
  }
}

async function observe(
  config: TsezConfig,
  name: string,
  request: DeleteRequest,
  deps: Deps,
): Promise<DeleteObservation> {
  const record = await readJailRecord(config, name)
  const files = jailFiles(config, name)
  const running = (await readRunningJails(deps.run)).has(name)
  const root = record === undefined ? undefined : await lstat(record.root).catch(() => undefined)
  const rootKind = root === undefined ? 'missing' : root.isDirectory() ? 'directory' : 'other'
  let mountsUnderRoot: string[] = []
  let otherDevice: string | undefined
  if (request.wipe && record !== undefined && rootKind === 'directory' && !running) {
    const mounts = parseMountP((await deps.run.run('mount', ['-p'])).stdout)
    // A jail's own dataset is mounted at its root: that mount is the jail, not something under it.
    const own = (m: {device: string; mountPoint: string}) => m.device === record.dataset && m.mountPoint === record.root
    mountsUnderRoot = mounts.filter((m) => !own(m) && within(m.mountPoint, record.root)).map((m) => m.mountPoint)
    if (mountsUnderRoot.length === 0 && record.dataset === undefined) otherDevice = findOtherDevice(record.root)
  }
  const datasetTargets =
    request.wipe && record?.dataset !== undefined ? await datasetTargetsOf(config, record, deps) : undefined
  const others = (await listJailRecords(config)).filter((other) => other.name !== name)
  const nestedJails =
    request.wipe && record !== undefined
      ? others.filter((other) => within(other.root, record.root)).map((other) => ({name: other.name, root: other.root}))
      : []
  const dependents = others
    .filter((other) => other.depend.includes(name))
    .map((other) => ({record: other, file: jailFiles(config, other.name).record}))
  return {
    name,
    record,
    files,
    conf: await ownershipOf(files.conf, name),
    fstab: await ownershipOf(files.fstab, name),
    leftovers: await leftoversOf(config, name),
    running,
    mountsUnderRoot,
    root: rootKind,
    otherDevice,
    nestedJails,
    dependents,
    ...(datasetTargets === undefined ? {} : {datasetTargets}),
  }
}
