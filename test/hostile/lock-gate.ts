// Preloaded into a spawned tsez (`node --import`) by run-after-lock.test.ts, to order two commands exactly. With
// TSEZ_TEST_GATE=FILE it pauses before its first change under a TSEZ_TEST_GATE_UNDER directory (colon-separated:
// the jail records, confs, fstabs and roots, never the lock's dbdir), says `lock-gate: paused` on stderr and goes on
// once FILE exists; a mutating command gets there holding the host lock, having changed no jail yet. Any command
// says `lock-gate: waiting` the moment it first finds the host lock held (EEXIST on a path ending in /lock, however
// the lock is taken). Only node:fs/promises is wrapped.
import fs from 'node:fs'
import {syncBuiltinESMExports} from 'node:module'
import {setTimeout as sleep} from 'node:timers/promises'

const gate = process.env.TSEZ_TEST_GATE
const under = (process.env.TSEZ_TEST_GATE_UNDER ?? '').split(':').filter(Boolean)
const changes = ['rename', 'writeFile', 'appendFile', 'rm', 'rmdir', 'unlink', 'mkdir', 'copyFile', 'link', 'open']
const promises = fs.promises as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>
let paused = false
let waiting = false

/** A change under a gated directory (open counts only when it writes). */
const gated = (name: string, [target, flags]: unknown[]) =>
  typeof target === 'string' &&
  under.some((dir) => target.startsWith(`${dir}/`)) &&
  (name !== 'open' || (typeof flags === 'string' && /[wax+]/.test(flags)))

for (const name of changes) {
  const original = promises[name]
  if (typeof original !== 'function') continue
  promises[name] = async function (this: unknown, ...args: unknown[]) {
    if (gate !== undefined && !paused && gated(name, args)) {
      paused = true
      process.stderr.write('lock-gate: paused\n')
      while (!fs.existsSync(gate)) await sleep(20)
    }
    try {
      return await original.apply(this, args)
    } catch (error) {
      const lock = args.some((arg) => typeof arg === 'string' && arg.endsWith('/lock'))
      if (lock && (error as NodeJS.ErrnoException).code === 'EEXIST' && !waiting) {
        waiting = true
        process.stderr.write('lock-gate: waiting\n')
      }
      throw error
    }
  }
}
syncBuiltinESMExports()
