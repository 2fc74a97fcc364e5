// Benchmark: tsez create on ZFS (CLI start + one zfs clone) against node -e 0 + one run of the same fake clone,
// with a bare Node.js create (bench/floors/create-zfs.mjs) and the parts that remain apart: start-up (a refused
// create), the one zfs list, and the floor with it overlapped.
import {spawnSync} from 'node:child_process'
import {mkdir} from 'node:fs/promises'
import path from 'node:path'

import {packageRoot} from '../test/support/cli.js'
import {createInstalledHost} from '../test/support/installed-host.js'
import {ZFS_PARENT, useZfs} from '../test/support/zfs-host.js'
import {measure, report} from './measure.js'

const ROUNDS = 9

export async function benchCreateZfs(): Promise<void> {
  const host = await useZfs(await createInstalledHost())
  try {
    const tsez = (...args: string[]) => [process.execPath, path.join(packageRoot, 'bin', 'run.js'), ...args]
    // The first create records the template's etcupdate state and takes the newjail's snapshot: once, apart.
    const first = await measure(tsez('create', 'first', '10.3.0.1'), {env: host.env})
    const snapshot = (host.fake.read('zfs.snapshots') ?? '').split('\t')[0] ?? ''
    if (!snapshot.startsWith(`${ZFS_PARENT}/newjail@`)) throw new Error('the first create took no snapshot')
    const cli: number[] = []
    const baseline: number[] = []
    const lists: number[] = []
    const overlapped: number[] = []
    const starts: number[] = []
    const bare: number[] = []
    const floorDir = path.join(host.root, 'bare-floor')
    await mkdir(floorDir)
    for (let i = 0; i < ROUNDS; i++) {
      const node = await measure([process.execPath, '-e', '0'])
      const mountpoint = `mountpoint=${path.join(host.root, `bare${i}`)}`
      const clone = await measure(['zfs', 'clone', '-o', mountpoint, snapshot, `${ZFS_PARENT}/bare${i}`], {
        env: host.env,
      })
      baseline.push(node.seconds + clone.seconds)
      // The one zfs list a create also needs (the newjail's snapshots and `written`, the jail's dataset), apart.
      const template = `${ZFS_PARENT}/newjail`
      const listArgs = ['list', '-H', '-p', '-o', 'name,written', '-t', 'filesystem,snapshot', '-d', '1', template]
      const list = (await measure(['zfs', ...listArgs], {env: host.env})).seconds
      lists.push(list)
      // What a create waits for when the list runs beside the clone (checked-clone.ts): the longer of the two.
      overlapped.push(node.seconds + Math.max(list, clone.seconds))
      // CLI start-up alone: oclif and the create command loaded, its arguments parsed (IPLIST missing: exit 2).
      starts.push(timeRefused(tsez('create', `z${i}`), host.env))
      // The least any safe Node.js create does (bench/floors/create-zfs.mjs): lock, clone, three files, unlock.
      const floor = [process.execPath, path.join(packageRoot, 'bench', 'floors', 'create-zfs.mjs'), floorDir, snapshot]
      bare.push(
        (await measure([...floor, `${ZFS_PARENT}/floor${i}`, path.join(host.root, `floor${i}`)], {env: host.env}))
          .seconds,
      )
      const run = await measure(tsez('create', `z${i}`, `10.3.1.${i + 1}`), {env: host.env})
      cli.push(run.seconds)
    }
    const calls = host.fake.calls('zfs').filter(([, command]) => command === 'clone').length
    report(`create on ZFS: ${ROUNDS} CLI creates, each one zfs clone (${calls} clones in all)`, [
      ['first create (etcupdate state, newjail snapshot), once', ms(first.seconds)],
      [`tsez create x${ROUNDS} (node bin/run.js)`, `median ${ms(median(cli))}`],
      [`node -e 0 + zfs clone (the fake) x${ROUNDS}`, `median ${ms(median(baseline))}`],
      ['ratio CLI / baseline', `${(median(cli) / median(baseline)).toFixed(2)}x medians (target <= 1.2x)`],
      [
        'bare Node.js floor: lock, zfs clone, fstab, jail.conf and record written whole, no tsez code',
        `median ${ms(median(bare))} = ${(median(bare) / median(baseline)).toFixed(2)}x of the baseline`,
      ],
      [`of which: start-up (tsez create NAME, refused by the parser) x${ROUNDS}`, `median ${ms(median(starts))}`],
      [`of which: zfs list of the newjail (the fake) x${ROUNDS}`, `median ${ms(median(lists))}`],
      [
        'floor: node -e 0 + zfs list + zfs clone',
        `median ${ms(median(baseline) + median(lists))}, CLI ${(median(cli) / (median(baseline) + median(lists))).toFixed(2)}x`,
      ],
      [
        'floor: node -e 0 + max(zfs list, zfs clone) (the list beside the clone)',
        `median ${ms(median(overlapped))}, CLI ${(median(cli) / median(overlapped)).toFixed(2)}x`,
      ],
    ])
  } finally {
    await host.cleanup()
  }
}

/** Seconds a run that must exit 2 (bad input, refused before any work) takes. */
function timeRefused([file = '', ...args]: string[], env: NodeJS.ProcessEnv): number {
  const started = performance.now()
  const refused = spawnSync(file, args, {env, stdio: 'ignore'})
  if (refused.status !== 2) throw new Error(`${file} ${args.join(' ')} exited ${refused.status}, not 2`)
  return (performance.now() - started) / 1000
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

function ms(seconds: number): string {
  return `${(seconds * 1000).toFixed(1)} ms`
}
