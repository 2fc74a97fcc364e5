// Runs a task per jail, up to N at once, each only after every jail it waits for has succeeded.
import type {OrderedJail} from './order.js'

export type TaskOutcome = {ok: true} | {ok: false}

export interface Scheduled<T extends TaskOutcome> {
  name: string
  /** The task's own outcome, or undefined when it never ran because a jail it waits for did not succeed. */
  outcome: T | undefined
  /** For a skipped jail: the first jail it waited for that failed or was skipped. */
  blockedBy?: string
}

/**
 * Runs TASK for every jail of ORDER with at most LIMIT tasks in flight. A jail starts as soon as all of
 * its `after` jails have succeeded; when one of them fails (or is itself skipped), the jail is skipped
 * without running. One jail's failure never stops the others. A task that throws counts as failed with
 * the thrown error passed to ON_THROW. Results come back in ORDER's order.
 */
export async function runScheduled<T extends TaskOutcome>(
  order: readonly OrderedJail[],
  limit: number,
  task: (name: string) => Promise<T>,
  onThrow: (name: string, error: unknown) => T,
): Promise<Array<Scheduled<T>>> {
  const results = new Map<string, Scheduled<T>>()
  const waiting = [...order]
  let running = 0
  return new Promise((resolve) => {
    const finish = (name: string, result: Scheduled<T>) => {
      results.set(name, result)
      pump()
    }
    const pump = () => {
      for (let i = 0; i < waiting.length;) {
        const jail = waiting[i]!
        const blockedBy = jail.after.find((a) => results.has(a) && results.get(a)?.outcome?.ok !== true)
        if (blockedBy !== undefined) {
          waiting.splice(i, 1)
          results.set(jail.name, {name: jail.name, outcome: undefined, blockedBy})
          i = 0 // a skip can unblock (skip) jails earlier in the list
          continue
        }
        const ready = jail.after.every((a) => results.get(a)?.outcome?.ok === true)
        if (!ready || running >= limit) {
          i++
          continue
        }
        waiting.splice(i, 1)
        running++
        task(jail.name)
          .catch((error: unknown) => onThrow(jail.name, error))
          .then((outcome) => {
            running--
            finish(jail.name, {name: jail.name, outcome})
          })
          .catch(() => undefined)
      }
      if (running === 0) {
        // Nothing in flight and nothing startable: whatever still waits names a jail outside ORDER.
        for (const jail of waiting.splice(0)) {
          const blockedBy = jail.after.find((a) => !results.has(a)) ?? jail.after[0]
          results.set(jail.name, {name: jail.name, outcome: undefined, blockedBy})
        }
        resolve(order.map((jail) => results.get(jail.name)!))
      }
    }
    pump()
  })
}
