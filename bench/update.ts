// Benchmark: tsez update -U over 1, 10 and 100 jails; the base step must not grow with N, etcupdate scales by -p.
import {execFile} from 'node:child_process'
import {mkdir, readdir, writeFile} from 'node:fs/promises'
import {promisify} from 'node:util'
import path from 'node:path'

import {packageRoot} from '../test/support/cli.js'
import {createUpdateSandbox} from '../test/support/update-jails.js'
import type {UpdateResult} from '../src/update/service.js'
import {measure, report} from './measure.js'

const COUNTS = [1, 10, 100]
const PARALLEL = 8
const FREEBSD_UPDATE_SECONDS = 2
const ETCUPDATE_SECONDS = 0.1

export async function benchUpdate(): Promise<void> {
  const lines: Array<[string, string]> = []
  let baseAtOne = 0
  for (const count of COUNTS) {
    const box = await createUpdateSandbox()
    try {
      await box.seedJails(count)
      // Every jail already bootstrapped and the tarball cached: the run measures the base step and the merges.
      for (const name of await readdir(box.config.jaildir)) {
        await mkdir(path.join(box.config.jaildir, name, 'var/db/etcupdate/current'), {recursive: true})
      }
      await mkdir(path.join(box.config.dbdir, 'etcupdate'), {recursive: true})
      const tarball = path.join(box.config.dbdir, 'etcupdate/etc-15.1-RELEASE.tbz')
      await writeFile(tarball, 'cached')
      box.host.set('freebsd-update.sleep', String(FREEBSD_UPDATE_SECONDS))
      box.host.set('etcupdate.sleep', String(ETCUPDATE_SECONDS))
      const argv = [process.execPath, '--import', 'tsx', path.join(packageRoot, 'bin/dev.js')]
      const run = await measure([...argv, 'update', '-U', '-r', '15.1-RELEASE', '-p', String(PARALLEL), '--json'], {
        env: {...box.env, NODE_ENV: 'development'},
      })
      const result = JSON.parse(run.stdout) as UpdateResult
      const updates = box.host.calls('freebsd-update').length
      const merges = box.host.calls('etcupdate').length
      if (result.attention || merges !== count + 1) throw new Error(`update failed: ${run.stdout.slice(0, 400)}`)
      const achievable = await fakeEtcupdateWaves(box.env, box.config.jaildir, tarball, count + 1)
      if (count === 1) baseAtOne = result.seconds.base
      // The ideal per-jail phase: every target (jails + newjail) in waves of PARALLEL, each one fake etcupdate.
      const ideal = ((count + 1) / PARALLEL) * ETCUPDATE_SECONDS
      const baseIdeal = updates * FREEBSD_UPDATE_SECONDS
      lines.push(
        [`N=${count}: wall (whole command)`, `${run.seconds.toFixed(2)} s`],
        [`N=${count}: freebsd-update runs`, `${updates} (ideal base ${baseIdeal} s)`],
        [
          `N=${count}: base step`,
          `${result.seconds.base.toFixed(2)} s (${(result.seconds.base / baseIdeal).toFixed(2)}x ideal, ` +
            `${(result.seconds.base / baseAtOne).toFixed(2)}x N=1)`,
        ],
        [
          `N=${count}: etcupdate phase -p ${PARALLEL}`,
          `${result.seconds.jails.toFixed(2)} s for ${merges} targets (${(result.seconds.jails / ideal).toFixed(2)}x ` +
            `ideal ${ideal.toFixed(2)} s, target <= 1.5x)`,
        ],
        [
          `N=${count}: same fakes run directly, waves of ${PARALLEL}`,
          `${achievable.toFixed(2)} s (tsez ${(result.seconds.jails / achievable).toFixed(2)}x this)`,
        ],
      )
    } finally {
      await box.cleanup()
    }
  }
  report(
    `update -U: fake freebsd-update ${FREEBSD_UPDATE_SECONDS} s/run, fake etcupdate ${ETCUPDATE_SECONDS * 1000} ms`,
    lines,
  )
}

/** Baseline: the fake etcupdate itself (sh start-up + sleep), `targets` runs in waves of PARALLEL, without tsez. */
async function fakeEtcupdateWaves(
  env: NodeJS.ProcessEnv,
  jaildir: string,
  tarball: string,
  targets: number,
): Promise<number> {
  const run = promisify(execFile)
  const names = (await readdir(jaildir)).filter((name) => name.startsWith('jail'))
  const started = performance.now()
  for (let first = 0; first < targets; first += PARALLEL) {
    const wave = Array.from({length: Math.min(PARALLEL, targets - first)}, (_, i) => names[(first + i) % names.length]!)
    await Promise.all(wave.map((name) => run('etcupdate', ['-D', path.join(jaildir, name), '-t', tarball], {env})))
  }
  return (performance.now() - started) / 1000
}
