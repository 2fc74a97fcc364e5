// The per-jail phases of update, run N jails at a time through a shell pool: bootstrap etcupdate state, merge /etc,
// restart.
import {describeError, OperationError} from '../errors.js'
import type {Deps} from '../system/deps.js'
import {extractEtcState, mergeEtc} from '../etc/etcupdate.js'
import {count} from '../ui/count.js'
import type {ProgressTask} from '../ui/progress.js'
import type {EtcTarget} from './plan.js'

export interface JailOutcome {
  name: string
  root: string
  ok: boolean
  /** Files etcupdate left in conflict (paths inside the jail), for `etcupdate resolve -D ROOT`. */
  conflicts: string[]
  /** Running on the changed base and not restarted by tsez. */
  needsRestart: boolean
  restarted: boolean
  error: string | null
}

export interface JailPhaseOptions {
  parallel: number
}

/** Records, for every target without it, the stock tree its /etc matches. Any failure aborts the update. */
export async function bootstrapTargets(
  items: Array<{target: EtcTarget; tarball: string}>,
  options: JailPhaseOptions,
  deps: Deps,
): Promise<void> {
  if (items.length === 0) return
  const settled = await throughPool(items.length, options, deps, (batch) => {
    const tasks: Array<ProgressTask<null>> = items.map(({target, tarball}) => ({
      title: `${target.name}: etcupdate extract (state for ${target.release})`,
      run: async () => {
        await extractEtcState(batch.run, target.root, tarball)
        return {value: null, title: `${target.name}: etcupdate state bootstrapped for ${target.release}`}
      },
    }))
    return batch.progress.tasks(tasks, {concurrency: options.parallel})
  })
  const failed = settled.flatMap((result, index) =>
    result.ok ? [] : [`${items[index]!.target.name}: ${describeError(result.error)}`],
  )
  if (failed.length > 0) {
    throw new OperationError(`cannot bootstrap etcupdate before upgrading; nothing was changed: ${failed.join('; ')}`)
  }
}

/** etcupdate -D ROOT -t TARBALL for every target; a conflict or failure in one never stops the others. */
export async function mergeTargets(
  items: Array<{target: EtcTarget; tarball: string}>,
  restart: boolean,
  options: JailPhaseOptions,
  deps: Deps,
): Promise<JailOutcome[]> {
  return throughPool(items.length, options, deps, (batch) => {
    const tasks: Array<ProgressTask<JailOutcome>> = items.map(({target, tarball}) => ({
      title: `${target.name}: etcupdate`,
      run: async (report) => {
        const {conflicts, error} = await mergeEtc(batch.run, target.root, tarball)
        const outcome = blankOutcome(target)
        outcome.conflicts = conflicts
        outcome.error = error
        outcome.ok = conflicts.length === 0 && error === null
        if (outcome.ok && restart && target.running) await restartJail(target, batch, report, outcome)
        return {value: outcome, title: describeOutcome(outcome), failed: !outcome.ok}
      },
    }))
    return settle(
      items.map((item) => item.target),
      tasks,
      options,
      batch,
    )
  })
}

/** After a patch, rollback or installworld: restart running jails (--restart) or say which need it. */
export async function restartTargets(
  targets: EtcTarget[],
  restart: boolean,
  options: JailPhaseOptions,
  deps: Deps,
): Promise<JailOutcome[]> {
  const restarting = restart ? targets.filter((target) => target.running) : []
  const restarted = await throughPool(restarting.length, options, deps, (batch) => {
    const tasks: Array<ProgressTask<JailOutcome>> = restarting.map((target) => ({
      title: `${target.name}: restart`,
      run: async (report) => {
        const outcome = blankOutcome(target)
        await restartJail(target, batch, report, outcome)
        return {value: outcome, title: describeOutcome(outcome)}
      },
    }))
    return settle(restarting, tasks, options, batch)
  })
  return targets.map((target) => restarted[restarting.indexOf(target)] ?? blankOutcome(target))
}

/** Every target as it was: the base did not change, so no jail needs a restart. */
export function unchangedOutcomes(targets: EtcTarget[]): JailOutcome[] {
  return targets.map((target) => ({...blankOutcome(target), needsRestart: false}))
}

/**
 * PHASE with its programs run through a pool of shells, one per jail at once (Node's spawn blocks its thread ~10 ms a
 * child: with 8 at once that, not the programs, set the pace), closed when the phase is over, however it ends. One
 * jail, -p 1, or a runner without a pool: DEPS as they are.
 */
async function throughPool<T>(
  jails: number,
  options: JailPhaseOptions,
  deps: Deps,
  phase: (batch: Deps) => Promise<T>,
) {
  const size = Math.min(options.parallel, jails)
  const pool = size > 1 ? await deps.run.pool?.(size) : undefined
  if (!pool) return phase(deps)
  try {
    return await phase({...deps, run: pool})
  } finally {
    await pool.close()
  }
}

async function settle(
  targets: EtcTarget[],
  tasks: Array<ProgressTask<JailOutcome>>,
  options: JailPhaseOptions,
  deps: Deps,
) {
  const settled = await deps.progress.tasks(tasks, {concurrency: options.parallel})
  return settled.map((result, index): JailOutcome => {
    if (result.ok) return result.value
    return {...blankOutcome(targets[index]!), ok: false, error: describeError(result.error)}
  })
}

function blankOutcome(target: EtcTarget): JailOutcome {
  return {
    name: target.name,
    root: target.root,
    ok: true,
    conflicts: [],
    needsRestart: target.running,
    restarted: false,
    error: null,
  }
}

/** `jail -f CONF -r NAME` then `jail -f CONF -c NAME`: the jail's own jail.conf, exactly as tsez stop/start do. */
async function restartJail(target: EtcTarget, deps: Deps, report: (line: string) => void, outcome: JailOutcome) {
  if (!target.conf) return
  report('restarting')
  await deps.run.run('jail', ['-f', target.conf, '-r', target.name])
  await deps.run.run('jail', ['-f', target.conf, '-c', target.name])
  outcome.restarted = true
  outcome.needsRestart = false
}

export function describeOutcome(outcome: JailOutcome): string {
  const parts = [`${outcome.name}:`]
  if (outcome.error) parts.push(`failed: ${outcome.error};`)
  if (outcome.conflicts.length > 0) {
    parts.push(
      `${count(outcome.conflicts.length, 'conflict')} left for etcupdate resolve -D ${outcome.root}: ${outcome.conflicts.join(' ')}`,
    )
  } else if (!outcome.error) parts.push('ok')
  if (outcome.restarted) parts.push('(restarted)')
  else if (outcome.needsRestart) parts.push('(running: restart it to use the new base)')
  return parts.join(' ')
}
