// update's per-jail phases go through the runner's shell pool (one shell per jail at once), jail by jail reported.
import assert from 'node:assert/strict'

import type {RunResult} from '../../src/system/runner.js'
import type {PooledRunner} from '../../src/system/shell-pool.js'
import {bootstrapTargets, mergeTargets, restartTargets} from '../../src/update/jails.js'
import type {EtcTarget} from '../../src/update/plan.js'
import {quietDeps} from '../support/deps.js'
import {recordingRunner, type RecordedCall} from '../support/recording-runner.js'

const TARBALL = '/db/etcupdate/etc-15.1-RELEASE.tbz'

const target = (name: string, running = false): EtcTarget => ({
  name,
  root: `/j/${name}`,
  conf: `/etc/jail.conf.d/${name}.conf`,
  running,
  hasEtcState: true,
  release: '14.3-RELEASE',
  template: false,
})

/** etcupdate fails in jail002's root and leaves a conflict in jail003's; everything else succeeds. */
const etcupdate = ({args}: RecordedCall): Partial<RunResult> => {
  if (args.includes('/j/jail002')) return {exitCode: 1, stderr: 'etcupdate: Failed to extract tarball\n'}
  if (args.includes('/j/jail003')) return {stdout: 'Conflicts remain from previous update:\n  C /etc/rc.conf\n'}
  return {}
}

/** A runner whose plain calls fail the test, and whose pool records its size, its calls and whether it was closed. */
function poolingRunner() {
  const plain = recordingRunner(() => ({exitCode: 99, stderr: 'called outside the pool'}))
  const pooled = recordingRunner(etcupdate)
  const pools: Array<{size: number; closed: boolean}> = []
  const runner = {
    ...plain.runner,
    pool: (size: number): Promise<PooledRunner> => {
      const opened = {size, closed: false}
      pools.push(opened)
      const close = () => {
        opened.closed = true
        return Promise.resolve()
      }
      return Promise.resolve({...pooled.runner, directory: '/nonexistent', shells: [], close})
    },
  }
  return {deps: quietDeps({run: runner}), plain: plain.calls, pooled: pooled.calls, pools}
}

const items = (...names: string[]) => names.map((name) => ({target: target(name), tarball: TARBALL}))

describe('update/jails: the per-jail phases through the shell pool', () => {
  it('merges every /etc through one pool of min(-p, jails) shells, closed after; each jail reported on its own', async () => {
    const {deps, plain, pooled, pools} = poolingRunner()
    const outcomes = await mergeTargets(items('jail001', 'jail002', 'jail003', 'jail004'), false, {parallel: 8}, deps)
    assert.deepEqual(pools, [{size: 4, closed: true}])
    assert.deepEqual(plain, [])
    assert.deepEqual(
      pooled.map((call) => [call.file, ...call.args].join(' ')).sort(),
      ['jail001', 'jail002', 'jail003', 'jail004'].map((name) => `etcupdate -D /j/${name} -t ${TARBALL}`),
    )
    assert.deepEqual(
      outcomes.map(({name, ok, conflicts}) => ({name, ok, conflicts})),
      [
        {name: 'jail001', ok: true, conflicts: []},
        {name: 'jail002', ok: false, conflicts: []},
        {name: 'jail003', ok: false, conflicts: ['/etc/rc.conf']},
        {name: 'jail004', ok: true, conflicts: []},
      ],
    )
    assert.match(outcomes[1]!.error ?? '', /^etcupdate -D \/j\/jail002 failed \(exit 1\): etcupdate: Failed to extract/)
  })

  it('restarts the running jails that merged cleanly through the same pool', async () => {
    const {deps, plain, pooled, pools} = poolingRunner()
    const merging = [target('jail001', true), target('jail002', true)].map((t) => ({target: t, tarball: TARBALL}))
    const outcomes = await mergeTargets(merging, true, {parallel: 4}, deps)
    assert.deepEqual(pools, [{size: 2, closed: true}])
    assert.deepEqual(plain, [])
    const jail = pooled.filter((call) => call.file === 'jail').map((call) => call.args.join(' '))
    assert.deepEqual(jail, [
      '-f /etc/jail.conf.d/jail001.conf -r jail001',
      '-f /etc/jail.conf.d/jail001.conf -c jail001',
    ])
    assert.deepEqual(
      outcomes.map(({name, restarted, needsRestart}) => ({name, restarted, needsRestart})),
      [
        {name: 'jail001', restarted: true, needsRestart: false},
        {name: 'jail002', restarted: false, needsRestart: true},
      ],
    )
  })

  it('bootstraps etcupdate state through the pool; a failure still names its jail and the pool is closed', async () => {
    const {deps, plain, pooled, pools} = poolingRunner()
    await assert.rejects(
      bootstrapTargets(items('jail001', 'jail002', 'jail003'), {parallel: 2}, deps),
      /^OperationError: cannot bootstrap etcupdate before upgrading; nothing was changed: jail002: etcupdate extract -D \/j\/jail002 failed/,
    )
    assert.deepEqual(pools, [{size: 2, closed: true}])
    assert.deepEqual(plain, [])
    assert.equal(pooled.length, 3)
  })

  it('restarts after a patch through the pool; one jail, -p 1 or nothing to restart opens none', async () => {
    const {deps, plain, pools} = poolingRunner()
    const running = [target('jail001', true), target('jail002', true), target('jail003')]
    const outcomes = await restartTargets(running, true, {parallel: 4}, deps)
    assert.deepEqual(pools, [{size: 2, closed: true}])
    assert.deepEqual(plain, [])
    assert.deepEqual(
      outcomes.map((o) => o.restarted),
      [true, true, false],
    )
    await restartTargets(running, false, {parallel: 4}, deps)
    await mergeTargets(items('jail001', 'jail004'), false, {parallel: 1}, deps)
    await mergeTargets(items('jail004'), false, {parallel: 4}, deps)
    assert.equal(pools.length, 1)
    assert.equal(plain.length, 3, 'without a pool the plain runner runs them')
  })
})
