// Benchmark: start-up of the release bundle, in one run: tsez --version, list --json of 1000 jails, one create, each
// against node -e 0; with Node's compile cache (bin/run.js) warm, and without it.
import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {createFakeHost} from '../test/fixtures/fake-host.js'
import {packageRoot} from '../test/support/cli.js'
import {createInstalledHost} from '../test/support/installed-host.js'
import {seedHost, seedJail} from '../test/support/seed-jails.js'
import {bestOf, measure, report} from './measure.js'

const JAILS = 1000
const RUNS = 15
const VERSION_RUNS = 40
const VERSION_TARGET = 1.5

export async function benchStartup(): Promise<void> {
  const cache = await mkdtemp(path.join(tmpdir(), 'tsez-bench-cache-'))
  const seeded = await seedHost()
  const fake = await createFakeHost()
  const installed = await createInstalledHost()
  try {
    for (let i = 0; i < JAILS; i++) {
      const addresses = [`10.3.${Math.floor(i / 250)}.${(i % 250) + 1}`]
      await seedJail(seeded.config, {name: `j${String(i).padStart(4, '0')}`, addresses})
    }
    const withCache = {XDG_CACHE_HOME: cache}
    const without = {NODE_DISABLE_COMPILE_CACHE: '1'}
    const tsez = (...args: string[]) => [process.execPath, path.join(packageRoot, 'bin', 'run.js'), ...args]
    const best = async (argv: string[], env: NodeJS.ProcessEnv, runs = RUNS) =>
      (await bestOf(runs, () => measure(argv, {env: {...process.env, ...env}})))[0]!.seconds
    const listEnv = {...fake.env, TSEZ_CONFIG: seeded.configFile}

    // Warm the compile cache once per command, then alternate nothing: best-of runs of each, same machine state.
    await measure(tsez('list', '--json'), {env: {...process.env, ...listEnv, ...withCache}})
    await measure(tsez('create', 'warm', '10.9.0.1'), {env: {...installed.env, ...withCache}})
    // node -e 0 and --version alternate, so both see the same load on a shared machine; medians as well as bests.
    const nodeRuns: number[] = []
    const versionRuns: number[] = []
    for (let i = 0; i < VERSION_RUNS; i++) {
      nodeRuns.push((await measure([process.execPath, '-e', '0'])).seconds)
      versionRuns.push((await measure(tsez('--version'), {env: {...process.env, ...withCache}})).seconds)
    }
    const node = Math.min(...nodeRuns)
    const version = Math.min(...versionRuns)
    const versionMedian = median(versionRuns) / median(nodeRuns)
    const help = await best(tsez('list', '--help'), withCache)
    const helpCold = await best(tsez('list', '--help'), without)
    const list = await best(tsez('list', '--json'), {...listEnv, ...withCache}, 5)
    const listCold = await best(tsez('list', '--json'), {...listEnv, ...without}, 5)
    const create = (await measure(tsez('create', 'web1', '10.9.0.2'), {env: {...installed.env, ...withCache}})).seconds
    const ratio = (seconds: number) => `${ms(seconds)} (${(seconds / node).toFixed(2)}x node -e 0)`
    report(`startup: Node ${process.version}, best of ${RUNS} (--version: of ${VERSION_RUNS}, list: of 5)`, [
      ['node -e 0', ms(node)],
      ['tsez --version', `${ratio(version)}, medians ${versionMedian.toFixed(2)}x, target <= ${VERSION_TARGET}x`],
      ['tsez list --help (loads oclif), compile cache', ratio(help)],
      ['tsez list --help, no compile cache', ratio(helpCold)],
      [`tsez list --json (${JAILS} jails), compile cache`, ratio(list)],
      [`tsez list --json (${JAILS} jails), no compile cache`, ratio(listCold)],
      ['tsez create (one, compile cache)', ratio(create)],
    ])
  } finally {
    await installed.cleanup()
    await fake.cleanup()
    await seeded.cleanup()
    await rm(cache, {recursive: true, force: true})
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

function ms(seconds: number): string {
  return `${Math.round(seconds * 1000)} ms`
}
