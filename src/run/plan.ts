// Pure planning of start/stop: which jails, in which order, and for each one what to do, from observed host state.
import type {JailRecord} from '../jail/store.js'
import {UsageError} from '../errors.js'
import {firstbootRemoveArgv, firstbootRunArgv} from './firstboot.js'
import {unorderableJails} from '../jail/depend.js'
import {rctlRemoveArgv} from '../jail/limits.js'
import {epairCleanupArgv, type VnetSettings} from '../jail/vnet.js'
import {describeDependencyProblems, dependencyProblems, startOrder, stopOrder, type OrderedJail} from './order.js'
import {startProblem, type StartFacts} from './preflight.js'

export type RunAction = 'start' | 'stop'

/** What happens to one jail. */
export type JailStep =
  | {kind: 'noop'; reason: string}
  | {kind: 'refuse'; reason: string}
  | {kind: 'run'; program: 'jail'; argv: string[]; firstboot: string[]; onFailure?: string[][]}

export interface RunPlan {
  action: RunAction
  order: OrderedJail[]
  steps: Map<string, JailStep>
  /** For stderr: dependencies on jails that no longer exist, which a start goes ahead without. */
  warnings: string[]
}

export interface Selection {
  /** Jail names as given (hostnames are mapped to jail names by the caller). */
  names: string[]
  /** No names: include norun jails too. */
  all: boolean
}

/**
 * The jails a command acts on before dependency expansion: the named ones (each must exist), or every jail
 * marked run (every jail with ALL). Throws UsageError, before anything runs, on unknown names, on a named jail
 * that is on a dependency cycle or depends on one, and when every selected jail is such a jail. Otherwise those
 * jails stay selected: the planners refuse them one by one and the others go ahead. A dependency on a jail that
 * does not exist blocks nothing (planStart warns about it).
 */
export function selectTargets(records: readonly JailRecord[], selection: Selection): string[] {
  const known = new Set(records.map((r) => r.name))
  const unknown = selection.names.filter((name) => !known.has(name))
  if (unknown.length > 0) {
    throw new UsageError(
      `no jail named ${unknown.join(', ')}: \`tsez list\` shows the jails tsez knows`,
      records.map((r) => r.name),
    )
  }
  const unorderable = unorderableJails(records)
  const refused = selection.names.filter((name) => unorderable.has(name))
  if (refused.length > 0) {
    const reasons = [...new Set(refused.map((name) => unorderable.get(name)))]
    throw new UsageError(
      `${reasons.join('; ')}: fix the depend lists before starting or stopping ${refused.join(', ')}`,
    )
  }
  if (selection.names.length > 0) return [...new Set(selection.names)]
  const targets = records.filter((r) => selection.all || r.run).map((r) => r.name)
  const problem = describeDependencyProblems(dependencyProblems(records))
  if (problem !== undefined && targets.length > 0 && targets.every((name) => unorderable.has(name))) {
    throw new UsageError(problem)
  }
  return targets
}

/** ORDER with the unorderable jails refused (and waiting for nobody, so each reports its own reason). */
function refuseUnorderable(
  records: readonly JailRecord[],
  order: OrderedJail[],
  steps: Map<string, JailStep>,
): OrderedJail[] {
  const unorderable = unorderableJails(records)
  return order.map((jail) => {
    const reason = unorderable.get(jail.name)
    if (reason === undefined || steps.get(jail.name)?.kind !== 'run') return jail
    steps.set(jail.name, {kind: 'refuse', reason})
    return {name: jail.name, after: []}
  })
}

export interface StartInput {
  records: readonly JailRecord[]
  targets: readonly string[]
  running: ReadonlySet<string>
  /** Per jail that is not running: what the preflight read from disk, and its pending first-start scripts. */
  facts: ReadonlyMap<string, {start: StartFacts; firstboot: string[]}>
  mounted: ReadonlySet<string>
  confOf: (name: string) => string
}

export function planStart(input: StartInput): RunPlan {
  const order = startOrder(input.records, input.targets)
  const steps = new Map<string, JailStep>()
  for (const {name} of order) {
    const facts = input.facts.get(name)
    if (input.running.has(name)) steps.set(name, {kind: 'noop', reason: 'already running'})
    else if (facts === undefined) steps.set(name, {kind: 'refuse', reason: 'no preflight facts (internal error)'})
    else {
      const problem = startProblem(facts.start, input.mounted)
      steps.set(
        name,
        problem === undefined
          ? {
              kind: 'run',
              program: 'jail',
              argv: ['-f', input.confOf(name), '-c', name],
              firstboot: facts.firstboot,
              ...onFailure(name, facts.start.limits, input.records.find((r) => r.name === name)?.vnet),
            }
          : {kind: 'refuse', reason: problem},
      )
    }
  }
  const ordered = refuseUnorderable(input.records, order, steps)
  return {action: 'start', order: ordered, steps, warnings: missingDependencyWarnings(input.records, ordered, steps)}
}

/**
 * What undoes the exec.prestart / exec.created work a failed `jail -c` leaves (jail(8) runs no exec.poststop then):
 * the jail's rctl rules, and its epair when it is still there with the jail's MAC (so never another tool's).
 */
function onFailure(name: string, limits: number, vnet: VnetSettings | undefined): {onFailure?: string[][]} {
  const commands = [
    ...(limits > 0 ? [['rctl', ...rctlRemoveArgv(name)]] : []),
    ...(vnet ? [epairCleanupArgv(vnet)] : []),
  ]
  return commands.length > 0 ? {onFailure: commands} : {}
}

/** A dependency on a jail that does not exist (deleted by an older tsez, edited by hand) is skipped, with a warning. */
function missingDependencyWarnings(
  records: readonly JailRecord[],
  order: readonly OrderedJail[],
  steps: ReadonlyMap<string, JailStep>,
): string[] {
  const starting = new Set(order.filter(({name}) => steps.get(name)?.kind === 'run').map(({name}) => name))
  return dependencyProblems(records)
    .missing.filter(({jail}) => starting.has(jail))
    .map(
      ({jail, dependency}) =>
        `${jail} depends on ${dependency}, which does not exist: starting ${jail} without it ` +
        `(tsez config ${jail} --undepend ${dependency} drops it)`,
    )
}

export interface StopInput {
  records: readonly JailRecord[]
  targets: readonly string[]
  running: ReadonlySet<string>
  confOf: (name: string) => string
}

export function planStop(input: StopInput): RunPlan {
  const order = stopOrder(input.records, input.targets, input.running)
  const steps = new Map<string, JailStep>()
  for (const {name} of order) {
    steps.set(
      name,
      input.running.has(name)
        ? {kind: 'run', program: 'jail', argv: ['-f', input.confOf(name), '-r', name], firstboot: []}
        : {kind: 'noop', reason: 'already stopped'},
    )
  }
  return {action: 'stop', order: refuseUnorderable(input.records, order, steps), steps, warnings: []}
}

/** The dry-run lines: per jail in order, each program with its argv, or why nothing runs. */
export function describeRunPlan(plan: RunPlan): string[] {
  return plan.order.flatMap(({name, after}) => {
    const step = plan.steps.get(name)
    const waits = after.length > 0 ? ` (after ${after.join(', ')})` : ''
    if (step === undefined) return []
    if (step.kind === 'noop') return [`${name}: ${step.reason}, nothing to do`]
    if (step.kind === 'refuse') return [`${name}: would fail: ${step.reason}`]
    return [
      `${name}: run ${['jail', ...step.argv].join(' ')}${waits}`,
      ...step.firstboot.flatMap((script) => [
        `${name}: run ${['jexec', ...firstbootRunArgv(name, script)].join(' ')}`,
        `${name}: run ${['jexec', ...firstbootRemoveArgv(name, script)].join(' ')}`,
      ]),
    ]
  })
}
