// Benchmark: `tsez start -p 8` and `tsez stop -p 8` of 100 jails (fake jail(8) taking 50 ms) against xargs -P 8.
import {mkdir, rm, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {createFakeHost} from '../test/fixtures/fake-host.js'
import {packageRoot} from '../test/support/cli.js'
import {seedHost, seedJail} from '../test/support/seed-jails.js'
import {runScheduled} from '../src/run/scheduler.js'
import {withLeanFakes} from './fakes.js'
import {measure, measureMemory, medianOf, report, type Measured} from './measure.js'

const JAILS = 100
const PARALLEL = 8
const CREATE_SECONDS = 0.05
const RUNS = 5

export async function benchStart(): Promise<void> {
  const host = await seedHost()
  const fake = await createFakeHost()
  try {
    const names = Array.from({length: JAILS}, (_, i) => `bench${String(i).padStart(3, '0')}`)
    for (const name of names) await seedJail(host.config, {name})
    // `jail` is the test fake in lean mode (argv logged, then sleep): in full it parses jail.conf with awk and keeps
    // its tables under a lock, 20-30 ms of CPU per call here, which is not tsez's cost.
    const fullEnv = {...fake.env, TSEZ_CONFIG: host.configFile, TSEZ_LOCK_WAIT: '0'}
    const env = withLeanFakes(fullEnv)
    const tsez = (...args: string[]) => [process.execPath, path.join(packageRoot, 'bin', 'run.js'), ...args]
    // Back to "nothing running" by clearing the fake host's jail and mount tables (faster than 100 jail -r).
    const reset = async () => {
      await rm(path.join(fake.stateDir, 'jails'), {recursive: true, force: true})
      await mkdir(path.join(fake.stateDir, 'jails'))
      fake.unset('mounts')
    }
    const startAll = () => measure(tsez('start', '-p', String(PARALLEL), '--json'), {env}).then(checked(JAILS))
    fake.set('jail.sleep', String(CREATE_SECONDS))

    // Baselines: the same 100 fake `jail -f CONF -c NAME` (and `jail -f CONF -r NAME`) calls, 8 at once, from xargs.
    const calls = async (flag: string) => {
      const list = path.join(host.dir, `jail-calls${flag}`)
      const lines = names.map((n) => `${path.join(host.config.jailconfDir, `${n}.conf`)} ${flag} ${n}\n`)
      await writeFile(list, lines.join(''))
      return ['sh', '-c', `xargs -P ${PARALLEL} -L 1 jail -f < '${list}'`]
    }
    const xargsStart = await calls('-c')
    const xargsStop = await calls('-r')
    const startBase = await medianOf(RUNS, async () => after(await measure(xargsStart, {env}), reset))
    const startRuns = await medianOf(RUNS, async () => after(await startAll(), reset))
    // Stop needs jails the fake knows are running: the full fake starts them (untimed, no sleep), the lean one stops.
    const running = async () => {
      fake.set('jail.sleep', '0')
      await measure(tsez('start', '-p', String(PARALLEL), '--json'), {env: fullEnv}).then(checked(JAILS))
      fake.set('jail.sleep', String(CREATE_SECONDS))
    }
    const stopBase = await medianOf(RUNS, async () => {
      await running()
      return after(await measure(xargsStop, {env}), reset)
    })
    const stopRuns = await medianOf(RUNS, async () => {
      await running()
      return after(await measure(tsez('stop', '-p', String(PARALLEL), '--json'), {env}).then(checked(JAILS)), reset)
    })
    const fixed = await measure(tsez('start', '-n', '--json'), {env})
    const watched = await measureMemory(tsez('start', '-p', String(PARALLEL), '--json'), {env})
    await reset()
    // The scheduler alone, in-process: 100 tasks of exactly 50 ms, 8 at once (no processes, no fake).
    const began = performance.now()
    const sleep = () =>
      new Promise<{ok: true}>((resolve) => setTimeout(() => resolve({ok: true}), CREATE_SECONDS * 1000))
    await runScheduled(
      names.map((name) => ({name, after: []})),
      PARALLEL,
      sleep,
      () => ({ok: true}),
    )
    const scheduler = (performance.now() - began) / 1000
    const ideal = (JAILS / PARALLEL) * CREATE_SECONDS
    const spread = (m: {median: Measured; runs: Measured[]}) =>
      `${ms(m.median.seconds)} (runs: ${m.runs.map((r) => ms(r.seconds)).join(', ')})`
    const ratio = (a: Measured, b: Measured) => `${(a.seconds / b.seconds).toFixed(2)}x`
    report(
      `start/stop: ${JAILS} jails, -p ${PARALLEL}, lean fake jail sleeps ${CREATE_SECONDS * 1000} ms; medians of ${RUNS}`,
      [
        ['ideal (100/8 x 50 ms)', ms(ideal)],
        ['scheduler alone (in-process, 50 ms tasks)', `${ms(scheduler)} = ${(scheduler / ideal).toFixed(2)}x ideal`],
        ['tsez start -n (fixed cost: node, records, jls, mount -p)', ms(fixed.seconds)],
        ['baseline: xargs -P 8 jail -c', spread(startBase)],
        ['tsez start -p 8', spread(startRuns)],
        ['ratio start / xargs (target <= 1.3x)', ratio(startRuns.median, startBase.median)],
        ['baseline: xargs -P 8 jail -r', spread(stopBase)],
        ['tsez stop -p 8', spread(stopRuns)],
        ['ratio stop / xargs (target <= 1.3x)', ratio(stopRuns.median, stopBase.median)],
        ['ratio xargs start / ideal (process creation here)', `${(startBase.median.seconds / ideal).toFixed(2)}x`],
        ['peak RSS tsez start', `${watched.peakRssMb.toFixed(0)} MB (tree ${watched.peakTreeRssMb.toFixed(0)} MB)`],
      ],
    )
  } finally {
    await fake.cleanup()
    await host.cleanup()
  }
}

/** RUN, after THEN resolved (the reset between runs is not timed). */
async function after(run: Measured, then: () => Promise<void>): Promise<Measured> {
  await then()
  return run
}

/** A tsez run whose --json says every jail did what was asked. */
function checked(jails: number) {
  return (run: Measured): Measured => {
    const result = JSON.parse(run.stdout) as {ok: boolean; jails: unknown[]}
    if (!result.ok || result.jails.length !== jails) throw new Error(`tsez failed: ${run.stdout.slice(0, 500)}`)
    return run
  }
}

function ms(seconds: number): string {
  return `${Math.round(seconds * 1000)} ms`
}
