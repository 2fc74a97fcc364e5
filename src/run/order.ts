// Which jails a start/stop touches and in what order: the depend graph, its closure, cycles and missing jails.
import {compareNames as compare, type DependencyProblems} from '../jail/depend.js'
import type {JailRecord} from '../jail/store.js'

export {dependencyProblems, type DependencyProblems} from '../jail/depend.js'

/** One jail of a run and the jails that must finish first (its dependencies on start, its dependents on stop). */
export interface OrderedJail {
  name: string
  after: string[]
}

/** The one-line usage error for the cycles among PROBLEMS, or undefined when there are none (missing jails order nothing). */
export function describeDependencyProblems(problems: DependencyProblems): string | undefined {
  const parts = problems.cycles.map((cycle) => `dependency cycle ${cycle.join(' -> ')}`)
  if (parts.length === 0) return undefined
  return `${parts.join('; ')}: fix the depend lists before starting or stopping these jails`
}

/**
 * The start order for TARGETS: the targets plus every known jail they depend on (transitively), each listed with
 * its dependencies, dependencies before dependents (ties by name). A cycle is cut (see topological): the planner
 * refuses the jails unorderableJails names, so the cut never decides what runs first.
 */
export function startOrder(records: readonly JailRecord[], targets: readonly string[]): OrderedJail[] {
  const byName = new Map(records.map((r) => [r.name, r]))
  const included = closure(targets, (name) => (byName.get(name)?.depend ?? []).filter((d) => byName.has(d)))
  return topological(included, (name) => (byName.get(name)?.depend ?? []).filter((d) => included.has(d)))
}

/**
 * The stop order for TARGETS: the targets plus every jail that depends on them (transitively) and is
 * RUNNING, each listed with its dependents, dependents before dependencies.
 */
export function stopOrder(
  records: readonly JailRecord[],
  targets: readonly string[],
  running: ReadonlySet<string>,
): OrderedJail[] {
  const dependents = new Map<string, string[]>()
  for (const record of records) {
    for (const dependency of record.depend)
      dependents.set(dependency, [...(dependents.get(dependency) ?? []), record.name])
  }
  const included = closure(targets, (name) => (dependents.get(name) ?? []).filter((d) => running.has(d)))
  return topological(included, (name) => (dependents.get(name) ?? []).filter((d) => included.has(d)))
}

function closure(start: readonly string[], next: (name: string) => readonly string[]): Set<string> {
  const seen = new Set<string>()
  const pending = [...start]
  for (let name = pending.pop(); name !== undefined; name = pending.pop()) {
    if (seen.has(name)) continue
    seen.add(name)
    pending.push(...next(name))
  }
  return seen
}

/**
 * Kahn's algorithm over NAMES with edges name -> before(name); stable by name. When only a cycle remains, its
 * first jail by name goes next waiting only for the jails already placed, so the order stays acyclic.
 */
function topological(names: ReadonlySet<string>, before: (name: string) => string[]): OrderedJail[] {
  const order: OrderedJail[] = []
  const placed = new Set<string>()
  const remaining = [...names].sort(compare)
  while (remaining.length > 0) {
    const ready = remaining.findIndex((name) => before(name).every((b) => placed.has(b)))
    const [name = ''] = remaining.splice(Math.max(ready, 0), 1)
    order.push({
      name,
      after: before(name)
        .filter((b) => placed.has(b))
        .sort(compare),
    })
    placed.add(name)
  }
  return order
}
