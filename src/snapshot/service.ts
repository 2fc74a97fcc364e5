// tsez snapshot, snapshots and rollback: a jail's own dataset, snapshotted, listed and rolled back under the host lock.
import type {TsezConfig} from '../config.js'
import {UsageError} from '../errors.js'
import {recoverInterruptedJailWork, reportRollbackNotes, type RecoveryOptions} from '../jail/recover.js'
import {
  describeRollbackNote,
  readRollbackNote,
  removeRollbackNote,
  rollbackNoteFile,
  writeRollbackNote,
} from '../jail/rollback-journal.js'
import {readRunningJails} from '../jail/running.js'
import {jailFiles, listJailRecords, type JailRecord} from '../jail/store.js'
import type {Deps} from '../system/deps.js'
import {lockHost} from '../system/lock.js'
import {ZfsError, clonesOf, datasetAt, rollback, snapshot, zfsNameProblem} from '../system/zfs.js'
import {checkRollback, defaultSnapshotName, jailDatasetProblem, snapshotNameProblem, type JailSnapshot} from './plan.js'

interface Common {
  name: string
  dryRun: boolean
  lockWaitMs: number
}

export interface SnapshotResult {
  /** The jail's name. */
  name: string
  dataset: string
  snapshot: string
  dryRun: boolean
  plan: string[]
}

export interface SnapshotsResult {
  name: string
  dataset: string
  snapshots: JailSnapshot[]
}

export interface RollbackResult {
  name: string
  dataset: string
  snapshot: string
  /** Snapshots destroyed with --destroy-later. */
  destroyed: string[]
  /** --force on a running jail, or completing an interrupted rollback of it: started after. */
  restarted: boolean
  dryRun: boolean
  plan: string[]
}

interface Target {
  jail: JailRecord
  dataset: string
}

/** Runs WORK holding the host lock (none for a dry run) with the jail and its dataset, interrupted work settled. */
async function withJail<T>(
  config: TsezConfig,
  options: Common,
  what: string,
  deps: Deps,
  work: (target: Target) => Promise<T>,
  recovery: RecoveryOptions = {},
): Promise<T> {
  const lock = await lockHost(config.dbdir, deps, what, {waitMs: options.lockWaitMs, dryRun: options.dryRun})
  try {
    if (!options.dryRun) await recoverInterruptedJailWork(config, deps, recovery)
    const records = await listJailRecords(config)
    const jail = records.find((r) => r.name === options.name) ?? records.find((r) => r.hostname === options.name)
    const dataset =
      config.useZfs && jail !== undefined ? (jail.dataset ?? (await datasetAt(deps.run, jail.root))) : undefined
    const problem = jailDatasetProblem(config, options.name, jail, dataset)
    if (problem !== undefined || jail === undefined || dataset === undefined) throw new UsageError(problem ?? '')
    return await work({jail, dataset})
  } finally {
    await lock.release()
  }
}

export async function snapshotJail(
  config: TsezConfig,
  options: Common & {snapshot?: string},
  deps: Deps,
): Promise<SnapshotResult> {
  const name = options.snapshot ?? defaultSnapshotName(deps.clock.now())
  const problem = snapshotNameProblem(name)
  if (problem !== undefined) throw new UsageError(problem)
  return withJail(config, options, `snapshot ${options.name}`, deps, async ({jail, dataset}) => {
    if ((await listJailSnapshots(deps, dataset)).some((s) => s.name === name)) {
      throw new UsageError(`jail ${jail.name} has a snapshot ${name} already; give another name`)
    }
    const tooLong = zfsNameProblem(`${dataset}@${name}`, 'snapshot')
    if (tooLong !== undefined) throw new UsageError(tooLong)
    const result = {name: jail.name, dataset, snapshot: `${dataset}@${name}`, dryRun: options.dryRun}
    if (!options.dryRun) await snapshot(deps.run, dataset, name)
    return {...result, plan: [`zfs snapshot ${dataset}@${name}`]}
  })
}

export async function listSnapshotsOf(config: TsezConfig, options: Common, deps: Deps): Promise<SnapshotsResult> {
  return withJail(config, {...options, dryRun: true}, `snapshots ${options.name}`, deps, async ({jail, dataset}) => ({
    name: jail.name,
    dataset,
    snapshots: await listJailSnapshots(deps, dataset),
  }))
}

export async function rollbackJail(
  config: TsezConfig,
  options: Common & {snapshot: string; force: boolean; destroyLater: boolean},
  deps: Deps,
): Promise<RollbackResult> {
  const work = async ({jail, dataset}: Target): Promise<RollbackResult> => {
    const snapshots = await listJailSnapshots(deps, dataset)
    const index = snapshots.findIndex((s) => s.name === options.snapshot)
    const laterClones = index === -1 || !options.destroyLater ? [] : await clonesOfAll(deps, snapshots.slice(index + 1))
    const checked = checkRollback(jail.name, snapshots, options.snapshot, {...options, clonesOfLater: laterClones})
    if (typeof checked === 'string') throw new UsageError(checked)
    const runningJails = new Set((await readRunningJails(deps.run)).keys())
    const running = runningJails.has(jail.name)
    if (running && !options.force) {
      throw new UsageError(`jail ${jail.name} is running: stop it first (tsez stop ${jail.name}) or add --force`)
    }
    // The other jails' notes: stale ones removed, the rest warned about (this jail's own is completed below).
    if (!options.dryRun) {
      await reportRollbackNotes(config, deps, {settled: (name) => name === jail.name, running: runningJails})
    }
    // A rollback this jail's interrupted one left undone: completed, the jail started after it as it would have been.
    const interrupted = running ? undefined : await readRollbackNote(config, jail.name)
    if (interrupted !== undefined) {
      deps.log.info(`${describeRollbackNote(interrupted)}: this rollback starts it again afterwards`)
    }
    const restart = running || interrupted !== undefined
    const conf = jailFiles(config, jail.name).conf
    const rollbackArgs = `zfs rollback${checked.later.length > 0 ? ' -r' : ''} ${checked.target.full}`
    const noteFile = rollbackNoteFile(config, jail.name)
    const note = `write ${noteFile} (the restart still owed)`
    const plan = [
      ...(restart ? [note] : []),
      ...(running ? [`jail -f ${conf} -r ${jail.name}`] : []),
      rollbackArgs,
      ...(restart ? [`jail -f ${conf} -c ${jail.name}`, `remove ${noteFile}`] : []),
    ]
    const result = {
      name: jail.name,
      dataset,
      snapshot: checked.target.full,
      destroyed: checked.later.map((s) => s.full),
      restarted: restart,
      dryRun: options.dryRun,
      plan,
    }
    if (options.dryRun) return result
    if (restart) {
      const started = deps.clock.now().toISOString()
      await writeRollbackNote(config, {
        version: 1,
        name: jail.name,
        snapshot: checked.target.full,
        created: jail.created,
        pid: process.pid,
        started,
      })
    }
    if (running) await deps.run.run('jail', ['-f', conf, '-r', jail.name])
    try {
      await rollback(deps.run, checked.target.full, {destroyLater: checked.later.length > 0})
    } finally {
      // Started again whether or not the rollback went through: --force never leaves a jail it found running stopped.
      if (restart) {
        try {
          await deps.run.run('jail', ['-f', conf, '-c', jail.name])
        } finally {
          await removeRollbackNote(config, jail.name)
        }
      }
    }
    return result
  }
  return withJail(config, options, `rollback ${options.name}`, deps, work, {rollbackNotes: false})
}

/** DATASET's own snapshots, oldest first, with creation and used. */
async function listJailSnapshots(deps: Deps, dataset: string): Promise<JailSnapshot[]> {
  const args = ['list', '-H', '-p', '-t', 'snapshot', '-d', '1', '-o', 'name,creation,used', '-s', 'createtxg', dataset]
  const result = await deps.run.tryRun('zfs', args)
  if (result.exitCode !== 0) throw new ZfsError(args, result)
  return result.stdout
    .split('\n')
    .filter((line) => line.startsWith(`${dataset}@`))
    .map((line) => {
      const [full = '', creation = '0', used = '0'] = line.split('\t')
      return {
        name: full.slice(dataset.length + 1),
        full,
        created: new Date(Number(creation) * 1000).toISOString(),
        used: Number(used),
      }
    })
}

async function clonesOfAll(deps: Deps, snapshots: readonly JailSnapshot[]): Promise<string[]> {
  const clones: string[] = []
  for (const s of snapshots) clones.push(...(await clonesOf(deps.run, s.full)))
  return clones
}
