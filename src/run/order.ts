// Which jails a start/stop touches and in what order: the depend graph, its closure, cycles and missing jails.
import type {JailRecord} from '../jail/store.js'

/** One jail of a run and the jails that must finish first (its dependencies on start, its dependents on stop). */
export interface OrderedJail {
  name: string
  after: string[]
}

export interface DependencyProblems {
  /** `web1 depends on db9, which does not exist` */
  missing: string[]
  /** Each cycle as its path: ['a', 'b', 'a']. */
  cycles: string[][]
}

/** Missing dependencies and cycles among RECORDS (every known jail), so nothing runs on a broken graph. */
export function dependencyProblems(records: readonly JailRecord[]): DependencyProblems {
  const byName = new Map(records.map((r) => [r.name, r]))
  const missing = records.flatMap((r) =>
    r.depend.filter((d) => !byName.has(d)).map((d) => `${r.name} depends on ${d}, which does not exist`),
  )
  const cycles: string[][] = []
  const state = new Map<string, 'visiting' | 'done'>()
  const stack: string[] = []
  const visit = (name: string) => {
    state.set(name, 'visiting')
    stack.push(name)
    for (const next of byName.get(name)?.depend ?? []) {
      if (!byName.has(next)) continue
      const seen = state.get(next)
      if (seen === 'visiting') cycles.push([...stack.slice(stack.indexOf(next)), next])
      else if (seen === undefined) visit(next)
    }
    stack.pop()
    state.set(name, 'done')
  }
  for (const record of [...records].sort((a, b) => compare(a.name, b.name))) {
    if (!state.has(record.name)) visit(record.name)
  }
  return {missing, cycles}
}

/** The one-line usage error for PROBLEMS, or undefined when the graph is sound. */
export function describeDependencyProblems(problems: DependencyProblems): string | undefined {
  const parts = [...problems.missing, ...problems.cycles.map((cycle) => `dependency cycle ${cycle.join(' -> ')}`)]
  if (parts.length === 0) return undefined
  return `${parts.join('; ')}: fix it with \`tsez config NAME --depend\` before starting or stopping jails`
}

/**
 * The start order for TARGETS: the targets plus every jail they depend on (transitively), each listed with
 * its dependencies, dependencies before dependents (ties by name). Assumes dependencyProblems found none.
 */
export function startOrder(records: readonly JailRecord[], targets: readonly string[]): OrderedJail[] {
  const byName = new Map(records.map((r) => [r.name, r]))
  const included = closure(targets, (name) => byName.get(name)?.depend ?? [])
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

/** Kahn's algorithm over NAMES with edges name -> before(name); stable by name. */
function topological(names: ReadonlySet<string>, before: (name: string) => string[]): OrderedJail[] {
  const order: OrderedJail[] = []
  const placed = new Set<string>()
  const remaining = [...names].sort(compare)
  while (remaining.length > 0) {
    const index = remaining.findIndex((name) => before(name).every((b) => placed.has(b)))
    if (index === -1) throw new Error(`dependency cycle among ${remaining.join(', ')}`)
    const [name = ''] = remaining.splice(index, 1)
    placed.add(name)
    order.push({name, after: before(name).sort(compare)})
  }
  return order
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
