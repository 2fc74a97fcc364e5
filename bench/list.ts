// Benchmark: `tsez list --json` over 1000 jails (records, confs, fstabs written directly) with ONE jls call.
import path from 'node:path'

import type {ListResult} from '../src/list/service.js'
import {createFakeHost} from '../test/fixtures/fake-host.js'
import {packageRoot} from '../test/support/cli.js'
import {seedHost, seedJail} from '../test/support/seed-jails.js'
import {bestOf, measure, measureMemory, report} from './measure.js'

const JAILS = 1000
const TARGET_SECONDS = 0.5

export async function benchList(): Promise<void> {
  const host = await seedHost()
  const fake = await createFakeHost()
  try {
    for (let i = 0; i < JAILS; i++) {
      await seedJail(host.config, {
        name: `j${String(i).padStart(4, '0')}`,
        addresses: [`10.3.${Math.floor(i / 250)}.${(i % 250) + 1}`],
      })
    }
    const env = {...fake.env, TSEZ_CONFIG: host.configFile}
    const tsez = (...args: string[]) => [process.execPath, path.join(packageRoot, 'bin', 'run.js'), ...args]
    const node = await bestOf(3, () => measure([process.execPath, '-e', '0']))
    fake.unset('calls.log')
    const runs = await bestOf(5, () => measure(tsez('list', '--json'), {env}))
    const jlsCalls = fake.calls('jls').length / runs.length
    const best = runs[0]!
    const listed = JSON.parse(best.stdout) as ListResult
    if (listed.jails.length !== JAILS) throw new Error(`list showed ${listed.jails.length} jails, not ${JAILS}`)
    const table = await bestOf(3, () => measure(tsez('list'), {env}))
    const watched = await measureMemory(tsez('list', '--json'), {env})
    report(`list: ${JAILS} jails`, [
      ['node -e 0', ms(node[0]!.seconds)],
      [
        'tsez list --json',
        `${ms(best.seconds)} (target <= ${TARGET_SECONDS * 1000} ms), peak RSS ${watched.peakRssMb.toFixed(0)} MB`,
      ],
      ['tsez list (table)', ms(table[0]!.seconds)],
      ['jls calls per list', String(jlsCalls)],
    ])
  } finally {
    await fake.cleanup()
    await host.cleanup()
  }
}

function ms(seconds: number): string {
  return `${Math.round(seconds * 1000)} ms`
}
