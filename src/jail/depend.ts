// The depend graph between jails: missing dependencies, cycles, the jails a cycle leaves without an order, new cycles.
import type {JailRecord} from './store.js'

export interface DependencyProblems {
  /** Dependencies on jails without a record: web1 depends on db9, which does not exist. */
  missing: Array<{jail: string; dependency: string}>
  /** Each cycle as its path: ['a', 'b', 'a']. */
  cycles: string[][]
}

/** Missing dependencies and cycles among RECORDS (every known jail). */
export function dependencyProblems(records: readonly JailRecord[]): DependencyProblems {
  const byName = new Map(records.map((r) => [r.name, r]))
  const missing = records.flatMap((r) =>
    r.depend.filter((d) => !byName.has(d)).map((dependency) => ({jail: r.name, dependency})),
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
  for (const record of [...records].sort((a, b) => compareNames(a.name, b.name))) {
    if (!state.has(record.name)) visit(record.name)
  }
  return {missing, cycles}
}

/**
 * Every jail that cannot be started or stopped in dependency order, with why: the jails on a cycle, and every jail
 * that depends on one of those, directly or not. The others are unaffected. A dependency on a jail that does not
 * exist orders nothing (no such jail can run): start and stop go ahead without it.
 */
export function unorderableJails(records: readonly JailRecord[]): Map<string, string> {
  const {cycles} = dependencyProblems(records)
  const why = new Map<string, string>()
  for (const cycle of cycles) {
    for (const name of cycle) if (!why.has(name)) why.set(name, `dependency cycle ${cycle.join(' -> ')}`)
  }
  const dependents = new Map<string, string[]>()
  for (const record of records) {
    for (const d of record.depend) dependents.set(d, [...(dependents.get(d) ?? []), record.name])
  }
  const pending = [...why.keys()]
  for (let name = pending.shift(); name !== undefined; name = pending.shift()) {
    for (const dependent of dependents.get(name) ?? []) {
      if (why.has(dependent)) continue
      why.set(dependent, `${dependent} depends on ${name} (${why.get(name)})`)
      pending.push(dependent)
    }
  }
  return why
}

/** The dependency path FROM -> ... -> TO among RECORDS (shortest), or undefined when TO is not reached. */
export function dependencyPath(records: readonly JailRecord[], from: string, to: string): string[] | undefined {
  const byName = new Map(records.map((r) => [r.name, r]))
  const cameFrom = new Map<string, string | undefined>([[from, undefined]])
  const pending = [from]
  for (let name = pending.shift(); name !== undefined; name = pending.shift()) {
    if (name === to) {
      const path: string[] = []
      for (let at: string | undefined = to; at !== undefined; at = cameFrom.get(at)) path.unshift(at)
      return path
    }
    for (const next of byName.get(name)?.depend ?? []) {
      if (cameFrom.has(next)) continue
      cameFrom.set(next, name)
      pending.push(next)
    }
  }
  return undefined
}

export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
