// Benchmark: tsez create against `cp -a newjail` — the copy-and-configure core, 100 CLI creates, bytes per jail.
import {execFile} from 'node:child_process'
import {mkdir, rm} from 'node:fs/promises'
import path from 'node:path'
import {promisify} from 'node:util'

import {loadConfig} from '../src/config.js'
import {createJail} from '../src/create/service.js'
import {hasEtcState} from '../src/etc/etcupdate.js'
import {packageRoot} from '../test/support/cli.js'
import {quietDeps} from '../test/support/deps.js'
import {createInstalledHost} from '../test/support/installed-host.js'
import {measure, measureMemory, report} from './measure.js'

const CORE_ROUNDS = 30
const CLI_CREATES = 100

export async function benchCreate(): Promise<void> {
  const exec = promisify(execFile)
  const host = await createInstalledHost()
  const saved = {PATH: process.env.PATH, TSEZ_FAKE_HOST: process.env.TSEZ_FAKE_HOST}
  // The real runner finds the fake programs through PATH, and they find their state through TSEZ_FAKE_HOST.
  Object.assign(process.env, {PATH: host.env.PATH, TSEZ_FAKE_HOST: host.env.TSEZ_FAKE_HOST})
  try {
    const config = await loadConfig({flag: host.configFile})
    const scratch = path.join(host.root, 'cp-a')
    await mkdir(scratch)

    // (a) The core work in-process, against spawning cp -a newjail, alternating so both see the same cache.
    const deps = quietDeps({env: process.env})
    // The first create records the template's etcupdate state (builds the stock /etc tarball from the cached base
    // set, then etcupdate extract): once per install, so it is timed apart from the rounds.
    let started = performance.now()
    const first = {name: 'first', ipList: '10.1.1.1', existingRoot: false, norun: false}
    await createJail(config, {...first, flavours: [], dryRun: false, lockWaitMs: 1000}, deps)
    const once = (performance.now() - started) / 1000
    if (!(await hasEtcState(config.newjail))) throw new Error('the first create did not record the etcupdate state')
    const core: number[] = []
    const copy: number[] = []
    for (let i = 0; i < CORE_ROUNDS; i++) {
      started = performance.now()
      await exec('cp', ['-a', config.newjail, path.join(scratch, `c${i}`)])
      copy.push((performance.now() - started) / 1000)
      started = performance.now()
      const request = {name: `core${i}`, ipList: `10.1.0.${i + 1}`, existingRoot: false, norun: false}
      await createJail(config, {...request, flavours: [], dryRun: false, lockWaitMs: 1000}, deps)
      core.push((performance.now() - started) / 1000)
    }
    await rm(scratch, {recursive: true, force: true})
    await mkdir(scratch)

    // (b) 100 creates through the compiled CLI, against 100 × (node -e 0 + cp -a newjail).
    const tsez = (...args: string[]) => [process.execPath, path.join(packageRoot, 'bin', 'run.js'), ...args]
    const cli: number[] = []
    const baseline: number[] = []
    for (let i = 0; i < CLI_CREATES; i++) {
      const node = await measure([process.execPath, '-e', '0'])
      const cp = await measure(['cp', '-a', config.newjail, path.join(scratch, `b${i}`)])
      baseline.push(node.seconds + cp.seconds)
      const run = await measure(tsez('create', `cli${i}`, `10.2.${Math.floor(i / 250)}.${(i % 250) + 1}`), {
        env: host.env,
      })
      cli.push(run.seconds)
    }
    // Peak RSS from one more create, watched apart: polling /proc would slow the timed ones.
    const watched = await measureMemory(tsez('create', 'rss', '10.2.255.1'), {env: host.env})

    // (c) Bytes per jail: its root plus its conf, fstab and record.
    const files = [
      path.join(config.jaildir, 'cli0'),
      path.join(config.jailconfDir, 'cli0.conf'),
      path.join(config.fstabDir, 'fstab.cli0'),
      path.join(config.confdir, 'cli0.json'),
    ]
    const du = await exec('du', ['-scb', ...files])
    const bytes = Number(/^(\d+)\s+total$/m.exec(du.stdout)?.[1] ?? NaN)
    const newjail = (await exec('find', [config.newjail])).stdout.trim().split('\n').length

    report(`create: newjail of ${newjail} entries`, [
      ['first create (records the etcupdate state in the template, once)', ms(once)],
      [`(a) core createJail x${CORE_ROUNDS} (in-process)`, `median ${ms(median(core))}, total ${ms(sum(core))}`],
      [`(a) cp -a newjail x${CORE_ROUNDS} (spawned)`, `median ${ms(median(copy))}, total ${ms(sum(copy))}`],
      [
        '(a) ratio core / cp -a',
        `${(median(core) / median(copy)).toFixed(2)}x medians, ${(sum(core) / sum(copy)).toFixed(2)}x totals ` +
          '(target <= 1.5x, aim 1.2x)',
      ],
      [
        `(b) tsez create x${CLI_CREATES} (node bin/run.js)`,
        `median ${ms(median(cli))}, total ${sum(cli).toFixed(2)} s, peak RSS ${watched.peakRssMb.toFixed(0)} MB`,
      ],
      [`(b) node -e 0 + cp -a x${CLI_CREATES}`, `median ${ms(median(baseline))}, total ${sum(baseline).toFixed(2)} s`],
      [
        '(b) ratio CLI / baseline',
        `${(median(cli) / median(baseline)).toFixed(2)}x medians, ${(sum(cli) / sum(baseline)).toFixed(2)}x totals ` +
          '(target <= 2.5x, aim 1.5x)',
      ],
      ['(c) bytes per jail (root + conf + fstab + record)', `${(bytes / 1e6).toFixed(2)} MB (target <= 3 MB)`],
    ])
  } finally {
    Object.assign(process.env, saved)
    if (saved.TSEZ_FAKE_HOST === undefined) delete process.env.TSEZ_FAKE_HOST
    await host.cleanup()
  }
}

/** Medians as well as totals: on a shared 2-core machine a few disturbed runs move a total by tens of percent. */
function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0)
}

function ms(seconds: number): string {
  return `${(seconds * 1000).toFixed(1)} ms`
}
