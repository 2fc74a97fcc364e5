// tsez start/stop/restart: observe the host once, plan, then run every jail's step in dependency order, N at once.
import {halfUpdatedBaseWarning} from '../base/update-journal.js'
import type {TsezConfig} from '../config.js'
import {describeError} from '../errors.js'
import {sweepKilledWrites} from '../jail/journal.js'
import {recoverInterruptedJailWork} from '../jail/recover.js'
import {readRunningJails} from '../jail/running.js'
import {jailNameFor} from '../jail/names.js'
import {jailFiles, listJailRecords, type JailRecord} from '../jail/store.js'
import {parseMountP} from '../jail/fstab.js'
import type {Deps} from '../system/deps.js'
import {lockHost} from '../system/lock.js'
import {sysctlNumber} from '../system/sysctl.js'
import {outputTail} from '../system/runner.js'
import {pendingFirstbootScripts, runFirstbootScripts} from './firstboot.js'
import {settleRollbackNotes} from './rollback-notes.js'
import {startOrder} from './order.js'
import {describeRunPlan, planStart, planStop, selectTargets, type JailStep, type RunPlan} from './plan.js'
import {mountedPoints, readStartFacts, type StartFacts} from './preflight.js'
import {runScheduled} from './scheduler.js'
import {count} from '../ui/count.js'

export type RunCommand = 'start' | 'stop' | 'restart'

export interface RunRequest {
  names: string[]
  all: boolean
  parallel: number
  dryRun: boolean
  lockWaitMs: number
}

/** One jail's result: what was done, whether it worked, and why not. */
export interface JailRunResult {
  name: string
  action: RunCommand
  ok: boolean
  /** One line for people: `started`, `already running`, or the error. */
  message: string
  /** Nothing to do: already running (start) or already stopped (stop). */
  noop: boolean
  /** Not attempted because a jail it depends on (or, on stop, a dependent) failed. */
  skipped: boolean
  error: string | null
  /** Captured output of the program that failed (jail(8) or a first-start script). */
  output: string | null
  /** Wall time of this jail's step, in milliseconds. */
  durationMs: number
  /** First-start scripts that ran (and were removed). */
  firstboot: string[]
}

export interface RunResult {
  action: RunCommand
  ok: boolean
  dryRun: boolean
  /** The steps of this run, one line each: what a dry run would do, what a real run set out to do. */
  plan: string[]
  jails: JailRunResult[]
}

export async function runJails(
  config: TsezConfig,
  command: RunCommand,
  request: RunRequest,
  deps: Deps,
): Promise<RunResult> {
  const selection = {names: request.names.map(jailNameFor), all: request.all}
  if (request.dryRun) {
    const records = await listJailRecords(config)
    const targets = selectTargets(records, selection)
    const plans = [await observeAndPlan(config, command === 'start' ? 'start' : 'stop', records, targets, deps)]
    if (command === 'restart') plans.push(await planRestartStart(config, records, plans[0]!, deps))
    warnAbout(plans, deps)
    return {action: command, ok: true, dryRun: true, plan: plans.flatMap(describeRunPlan), jails: []}
  }
  const lock = await lockHost(config.dbdir, deps, command, {waitMs: request.lockWaitMs})
  try {
    // Under the lock: what a killed config left is finished first, then the records are read as they now are.
    await recoverInterruptedJailWork(config, deps, {rollbackNotes: false})
    for (const file of await sweepKilledWrites(config)) deps.log.info(`removed ${file}, left by an interrupted write`)
    const records = await listJailRecords(config)
    const targets = selectTargets(records, selection)
    await settleRollbackNotes(config, command, targets, deps)
    if (command !== 'stop') {
      const warning = await halfUpdatedBaseWarning(config)
      if (warning) deps.log.warn(warning)
    }
    const limit = Math.max(1, request.parallel)
    if (command !== 'restart') {
      const plan = await observeAndPlan(config, command, records, targets, deps)
      warnAbout([plan], deps)
      const jails = await execute(plan, limit, deps, command)
      return {action: command, ok: jails.every((j) => j.ok), dryRun: false, plan: describeRunPlan(plan), jails}
    }
    const stopPlan = await observeAndPlan(config, 'stop', records, targets, deps)
    const stopped = await execute(stopPlan, limit, deps)
    const again = stopped.filter((j) => j.ok).map((j) => j.name)
    const startPlan = await observeAndPlan(config, 'start', records, again, deps)
    warnAbout([startPlan], deps)
    const jails = mergeRestart(stopped, await execute(startPlan, limit, deps))
    const plan = [stopPlan, startPlan].flatMap(describeRunPlan)
    return {action: command, ok: jails.every((j) => j.ok), dryRun: false, plan, jails}
  } finally {
    await lock.release()
  }
}

function warnAbout(plans: readonly RunPlan[], deps: Deps): void {
  for (const warning of plans.flatMap((plan) => plan.warnings)) deps.log.warn(warning)
}

/** One `jls` (and for start one `mount -p`), the preflight reads, then the pure plan. */
async function observeAndPlan(
  config: TsezConfig,
  action: 'start' | 'stop',
  records: readonly JailRecord[],
  targets: readonly string[],
  deps: Deps,
): Promise<RunPlan> {
  const running = new Set((await readRunningJails(deps.run)).keys())
  const confOf = (name: string) => jailFiles(config, name).conf
  if (action === 'stop') return planStop({records, targets, running, confOf})
  return planStartFrom(config, records, targets, running, deps)
}

async function readMountedPoints(deps: Deps): Promise<Set<string>> {
  return mountedPoints(parseMountP((await deps.run.run('mount', ['-p'])).stdout).map((m) => m.mountPoint))
}

async function planStartFrom(
  config: TsezConfig,
  records: readonly JailRecord[],
  targets: readonly string[],
  running: ReadonlySet<string>,
  deps: Deps,
  stoppingFirst: ReadonlySet<string> = new Set(),
): Promise<RunPlan> {
  const byName = new Map(records.map((r) => [r.name, r]))
  const toStart = startOrder(records, targets)
    .map((j) => j.name)
    .filter((name) => !running.has(name))
  const limited = toStart.some((name) => (byName.get(name)?.limits ?? []).length > 0)
  // Every jail's files, the mount table and the RACCT switch read at once: a hundred jails are a hundred reads.
  const [racct, mounted, read] = await Promise.all([
    limited ? sysctlNumber(deps.run, 'kern.racct.enable') : undefined,
    toStart.length === 0 ? new Set<string>() : readMountedPoints(deps),
    Promise.all(
      toStart.map(async (name) => {
        const record = byName.get(name)!
        const [start, firstboot] = await Promise.all([
          readStartFacts(config, record),
          pendingFirstbootScripts(record.root),
        ])
        return [name, {start, firstboot}] as const
      }),
    ),
  ])
  const facts = new Map<string, {start: StartFacts; firstboot: string[]}>(
    read.map(([name, {start, firstboot}]) => [
      name,
      {start: {...start, ...(racct === undefined ? {} : {racct})}, firstboot},
    ]),
  )
  // A dry-run restart: the mounts of jails the stop removes first are gone by the time they start again.
  for (const name of stoppingFirst)
    for (const point of facts.get(name)?.start.fstabMountPoints ?? []) mounted.delete(point)
  return planStart({records, targets, running, facts, mounted, confOf: (name) => jailFiles(config, name).conf})
}

/** Restart's dry run: the start that follows the stop, planned as if every jail the stop touches were stopped. */
async function planRestartStart(config: TsezConfig, records: readonly JailRecord[], stop: RunPlan, deps: Deps) {
  const names = stop.order.map((j) => j.name)
  const running = new Set((await readRunningJails(deps.run)).keys())
  const stopping = new Set(names.filter((name) => running.delete(name)))
  return planStartFrom(config, records, names, running, deps, stopping)
}

async function execute(
  plan: RunPlan,
  limit: number,
  deps: Deps,
  label: RunCommand = plan.action,
): Promise<JailRunResult[]> {
  const total = plan.order.length
  if (total === 0) return []
  // Jails already as asked (running for start, stopped for stop) are not counted as started or stopped.
  const acting = [...plan.steps.values()].filter((step) => step.kind !== 'noop').length
  const verb = plan.action === 'start' ? 'starting' : 'stopping'
  const progress = acting > 0 ? deps.progress.step(`${verb} ${count(acting, 'jail')}`) : undefined
  let done = 0
  // Many jails at once: their jail(8) calls go through a few long-lived shells (Node's spawn would serialise them).
  const pool = acting > 1 && limit > 1 ? await deps.run.pool?.(Math.min(limit, acting)) : undefined
  const batch = pool ? {...deps, run: pool} : deps
  const scheduled = await runScheduled(
    plan.order,
    limit,
    async (name) => {
      const result = await runStep(name, plan.steps.get(name)!, label, batch)
      progress?.update(`${++done}/${total} ${name}: ${result.ok ? '' : 'FAILED: '}${result.message}`)
      return result
    },
    (name, error) => failed(name, label, 0, `${plan.action} failed: ${describeError(error)}`, null),
  ).finally(() => pool?.close())
  const results = scheduled.map(({name, outcome, blockedBy}) => {
    if (outcome !== undefined) return outcome
    const why =
      plan.action === 'start'
        ? `skipped: it depends on ${blockedBy ?? 'a jail'}, which did not start`
        : `skipped: ${blockedBy ?? 'a jail'}, which depends on it, did not stop`
    return {...failed(name, label, 0, why, null), skipped: true}
  })
  const failures = results.filter((j) => !j.ok).length
  if (failures === 0) progress?.succeed(`${plan.action === 'start' ? 'started' : 'stopped'} ${count(acting, 'jail')}`)
  else progress?.fail(`${failures} of ${count(acting, 'jail')} failed to ${plan.action}`)
  return results
}

async function runStep(name: string, step: JailStep, label: RunCommand, deps: Deps): Promise<JailRunResult> {
  const began = deps.clock.monotonicMs()
  const elapsed = () => Math.round(deps.clock.monotonicMs() - began)
  if (step.kind === 'noop') return {...succeeded(name, label, 0, []), noop: true, message: step.reason}
  if (step.kind === 'refuse') return failed(name, label, 0, step.reason, null)
  const result = await deps.run.tryRun(step.program, step.argv)
  if (result.exitCode !== 0) {
    // jail(8) undoes a failed creation without exec.poststop: rules its exec.created added would outlive the jail.
    for (const [program, ...argv] of step.onFailure ?? [])
      if (program !== undefined) await deps.run.tryRun(program, argv)
    const output = [result.stdout.trimEnd(), result.stderr.trimEnd()].filter(Boolean).join('\n')
    const detail = outputTail(result, 1)
    const error = `jail ${step.argv.join(' ')} failed (exit ${result.exitCode})${detail ? `: ${detail}` : ''}`
    return failed(name, label, elapsed(), error, output || null)
  }
  const firstboot = await runFirstbootScripts(deps.run, name, step.firstboot)
  if (firstboot.failed !== undefined) {
    const {script, exitCode, output} = firstboot.failed
    const error =
      `first-start script ${script} failed (exit ${exitCode}); jail ${name} is left running for inspection ` +
      `(\`tsez console ${name}\`), and the script stays to run again at the next start`
    return {...failed(name, label, elapsed(), error, output || null), firstboot: firstboot.ran}
  }
  return succeeded(name, label, elapsed(), firstboot.ran)
}

const DONE: Record<RunCommand, string> = {start: 'started', stop: 'stopped', restart: 'restarted'}

function succeeded(name: string, action: RunCommand, durationMs: number, firstboot: string[]): JailRunResult {
  const message = DONE[action]
  return {
    name,
    action,
    ok: true,
    message,
    noop: false,
    skipped: false,
    error: null,
    output: null,
    durationMs,
    firstboot,
  }
}

function failed(
  name: string,
  action: RunCommand,
  durationMs: number,
  error: string,
  output: string | null,
): JailRunResult {
  return {
    name,
    action,
    ok: false,
    message: error,
    noop: false,
    skipped: false,
    error,
    output,
    durationMs,
    firstboot: [],
  }
}

/** One record per restarted jail: the stop's failure, or the start that followed it. */
function mergeRestart(stopped: readonly JailRunResult[], started: readonly JailRunResult[]): JailRunResult[] {
  const byName = new Map(started.map((j) => [j.name, j]))
  const merged = stopped.map((stop) => {
    const start = byName.get(stop.name)
    byName.delete(stop.name)
    if (!stop.ok || start === undefined) return {...stop, action: 'restart' as const}
    const message = start.ok ? DONE.restart : start.message
    return {...start, action: 'restart' as const, message, durationMs: stop.durationMs + start.durationMs, noop: false}
  })
  // Dependencies the start pulled in keep their own record (usually `start`, already running).
  return [...merged, ...byName.values()]
}
