// Benchmark: `tsez start -p 8` of 100 jails whose fake `jail -c` takes 50 ms, against the ideal 100/8 × 50 ms.
import {mkdir, rm, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {createFakeHost} from '../test/fixtures/fake-host.js'
import {packageRoot} from '../test/support/cli.js'
import {seedHost, seedJail} from '../test/support/seed-jails.js'
import {runScheduled} from '../src/run/scheduler.js'
import {barePool, withLeanFakes} from './fakes.js'
import {bestOf, measure, measureMemory, report} from './measure.js'

const JAILS = 100
const PARALLEL = 8
const CREATE_SECONDS = 0.05

export async function benchStart(): Promise<void> {
  const host = await seedHost()
  const fake = await createFakeHost()
  try {
    const names = Array.from({length: JAILS}, (_, i) => `bench${String(i).padStart(3, '0')}`)
    for (const name of names) await seedJail(host.config, {name})
    // `jail` is the test fake in lean mode (argv logged, then sleep): in full it parses jail.conf with awk and keeps
    // its tables under a lock, 20-30 ms of CPU per call here, which is not tsez's cost.
    const env = withLeanFakes({...fake.env, TSEZ_CONFIG: host.configFile, TSEZ_LOCK_WAIT: '0'})
    const tsez = (...args: string[]) => [process.execPath, path.join(packageRoot, 'bin', 'run.js'), ...args]
    // Back to "nothing running" by clearing the fake host's jail and mount tables (faster than 100 jail -r).
    const reset = async () => {
      await rm(path.join(fake.stateDir, 'jails'), {recursive: true, force: true})
      await mkdir(path.join(fake.stateDir, 'jails'))
      fake.unset('mounts')
    }
    fake.set('jail.sleep', String(CREATE_SECONDS))

    // Baseline: the same 100 fake `jail -f CONF -c NAME` calls, 8 at once, from xargs -P (no tsez at all).
    const list = path.join(host.dir, 'jail-calls')
    await writeFile(list, names.map((n) => `${path.join(host.config.jailconfDir, `${n}.conf`)} -c ${n}\n`).join(''))
    const shell = await bestOf(3, async () => {
      const run = await measure(['sh', '-c', `xargs -P ${PARALLEL} -L 1 jail -f < '${list}'`], {env})
      await reset()
      return run
    })
    const commands = names.map((n): [string, ...string[]] => [
      'jail',
      '-f',
      `${host.config.jailconfDir}/${n}.conf`,
      '-c',
      n,
    ])
    const pool = (await bestOf(3, async () => ({seconds: await barePool(commands, PARALLEL, env)})))[0]!
    const [fixed] = await bestOf(3, () => measure(tsez('start', '-n', '--json'), {env}))
    const runs = await bestOf(3, async () => {
      const run = await measure(tsez('start', '-p', String(PARALLEL), '--json'), {env})
      const result = JSON.parse(run.stdout) as {ok: boolean; jails: unknown[]}
      if (!result.ok || result.jails.length !== JAILS) throw new Error(`tsez start failed: ${run.stdout.slice(0, 500)}`)
      await reset()
      return run
    })
    const watched = await measureMemory(tsez('start', '-p', String(PARALLEL), '--json'), {env})
    await reset()
    // The scheduler alone, in-process: 100 tasks of exactly 50 ms, 8 at once (no processes, no fake).
    const began = performance.now()
    const order = names.map((name) => ({name, after: []}))
    const sleep = () =>
      new Promise<{ok: true}>((resolve) => setTimeout(() => resolve({ok: true}), CREATE_SECONDS * 1000))
    await runScheduled(order, PARALLEL, sleep, () => ({ok: true}))
    const scheduler = (performance.now() - began) / 1000
    const best = runs[0]!
    const baseline = shell[0]!
    const ideal = (JAILS / PARALLEL) * CREATE_SECONDS
    const all = (list: Array<{seconds: number}>) => list.map((r) => ms(r.seconds)).join(', ')
    report(`start: ${JAILS} jails, -p ${PARALLEL}, lean fake jail -c sleeps ${CREATE_SECONDS * 1000} ms`, [
      ['ideal (100/8 x 50 ms)', ms(ideal)],
      ['baseline: xargs -P 8 jail -c (no tsez)', `${ms(baseline.seconds)} (runs: ${all(shell)})`],
      ['bare node pool of 8 spawning the same calls (no tsez)', ms(pool.seconds)],
      ['tsez start -n (fixed cost: node, records, jls, mount -p)', ms(fixed!.seconds)],
      ['scheduler alone (in-process, 50 ms tasks)', `${ms(scheduler)} = ${(scheduler / ideal).toFixed(2)}x ideal`],
      ['tsez start -p 8', `${ms(best.seconds)} (runs: ${all(runs)})`],
      ['ratio tsez / ideal', `${(best.seconds / ideal).toFixed(2)}x (target <= 1.5x, aim 1.2x)`],
      ['ratio tsez / xargs baseline', `${(best.seconds / baseline.seconds).toFixed(2)}x`],
      ['ratio tsez / (fixed cost + bare node pool)', `${(best.seconds / (fixed!.seconds + pool.seconds)).toFixed(2)}x`],
      ['ratio xargs baseline / ideal (process creation here)', `${(baseline.seconds / ideal).toFixed(2)}x`],
      [
        'peak RSS tsez',
        `${watched.peakRssMb.toFixed(0)} MB (tree ${watched.peakTreeRssMb.toFixed(0)} MB; a run of its own)`,
      ],
    ])
  } finally {
    await fake.cleanup()
    await host.cleanup()
  }
}

function ms(seconds: number): string {
  return `${Math.round(seconds * 1000)} ms`
}
