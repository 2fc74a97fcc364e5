// The pure update planner: argv per action, snapshot naming, bootstraps only where etcupdate has no state.
import assert from 'node:assert/strict'

import {resolveConfig} from '../../src/config.js'
import {UsageError} from '../../src/errors.js'
import {parseRelease} from '../../src/dist/release.js'
import type {EtcSource} from '../../src/etc/tarball.js'
import {baseProvider} from '../../src/base/provider.js'
import {describeUpdatePlan, planUpdate, type EtcTarget, type PlanFacts} from '../../src/update/plan.js'

const config = resolveConfig(
  new Map([
    ['tsez_jaildir', '/j'],
    ['tsez_dbdir', '/db'],
  ]),
  undefined,
)
const source = (release: string): EtcSource => ({
  release: parseRelease(release),
  platform: {machine: 'amd64', arch: 'amd64'},
  mirror: {kind: 'http', url: `https://m/releases/amd64/amd64/${release}/`},
})
const target = (name: string, hasEtcState: boolean, running = false): EtcTarget => ({
  name,
  root: `/j/${name}`,
  conf: `/etc/jail.conf.d/${name}.conf`,
  running,
  hasEtcState,
  release: '14.3-RELEASE-p2',
  template: false,
})
const facts = (overrides: Partial<PlanFacts> = {}): PlanFacts => ({
  versionBefore: '14.3-RELEASE-p2',
  provider: baseProvider(config, undefined, '14.3-RELEASE-p2'),
  dataset: undefined,
  targets: [target('a', true), target('b', false, true), target('c', false)],
  etcSources: {target: source('15.1-RELEASE'), byRelease: new Map([['14.3-RELEASE-p2', source('14.3-RELEASE')]])},
  tarballExists: (release) => release === '15.1-RELEASE',
  baseHasSrc: false,
  halfDoneInstall: false,
  pendingStep: undefined,
  now: new Date('2026-11-28T15:20:07.123Z'),
  ...overrides,
})
const fu = (...command: string[]) => [
  ...['-b', '/j/basejail', '-d', '/db/freebsd-update', '-f', '/db/freebsd-update.conf'],
  ...['--currently-running', '14.3-RELEASE-p2', '--not-running-from-cron', ...command],
]

describe('update/plan', () => {
  it('-u: fetch, then install repeated; no tarball, no etcupdate', () => {
    const plan = planUpdate(config, {action: 'patch', release: undefined, parallel: 4, restart: false}, facts())
    assert.deepEqual(
      plan.base.map((c) => [c.program, c.argv, c.env, c.repeat]),
      [
        ['freebsd-update', fu('fetch'), {PAGER: 'cat'}, false],
        ['freebsd-update', fu('install'), {PAGER: 'cat'}, true],
      ],
    )
    assert.deepEqual([plan.tarballs, plan.bootstraps, plan.merges], [[], [], []])
    assert.match(plan.updateConf?.content ?? '', /^Components world$/m)
    assert.deepEqual(
      plan.running.map((t) => t.name),
      ['b'],
    )
  })

  it('-U: upgrade, bootstraps for the targets without state from the old tarball, merges for all', () => {
    const plan = planUpdate(
      config,
      {action: 'upgrade', release: parseRelease('15.1-RELEASE'), parallel: 8, restart: true},
      facts(),
    )
    assert.deepEqual(plan.base[0]?.argv, fu('-r', '15.1-RELEASE', 'upgrade'))
    assert.deepEqual(
      plan.tarballs.map((t) => [t.path, t.exists]),
      [
        ['/db/etcupdate/etc-15.1-RELEASE.tbz', true],
        ['/db/etcupdate/etc-14.3-RELEASE.tbz', false],
      ],
    )
    assert.deepEqual(
      plan.bootstraps.map((b) => [b.target.name, b.tarball]),
      [
        ['b', '/db/etcupdate/etc-14.3-RELEASE.tbz'],
        ['c', '/db/etcupdate/etc-14.3-RELEASE.tbz'],
      ],
    )
    assert.deepEqual(
      plan.merges.map((m) => [m.target.name, m.tarball]),
      ['a', 'b', 'c'].map((name) => [name, '/db/etcupdate/etc-15.1-RELEASE.tbz']),
    )
    const lines = describeUpdatePlan(plan)
    assert.ok(lines.includes('run etcupdate extract -D /j/b -t /db/etcupdate/etc-14.3-RELEASE.tbz'))
    assert.ok(lines.includes('run jail -f /etc/jail.conf.d/b.conf -r b'))
    assert.ok(lines.includes('run jail -f /etc/jail.conf.d/b.conf -c b'))
  })

  it('snapshots a ZFS basejail with a UTC timestamp; rollback argv', () => {
    const zfs = planUpdate(
      config,
      {action: 'rollback', release: undefined, parallel: 1, restart: false},
      facts({dataset: 'z/base'}),
    )
    assert.deepEqual(zfs.snapshot, {dataset: 'z/base', name: 'tsez-update-20261128T152007Z'})
    assert.deepEqual(
      zfs.base.map((c) => c.argv),
      [fu('rollback')],
    )
  })

  it('an install left half done: -u and -U only finish it, --rollback is refused', () => {
    for (const action of ['patch', 'upgrade'] as const) {
      const plan = planUpdate(
        config,
        {action, release: parseRelease('15.1-RELEASE'), parallel: 1, restart: false},
        facts({halfDoneInstall: true}),
      )
      assert.deepEqual(
        plan.base.map((c) => [c.argv.at(-1), c.repeat]),
        [['install', true]],
      )
      assert.equal(plan.resume, true)
      assert.ok(
        describeUpdatePlan(plan).includes(
          'note an earlier install stopped half way: finish it (no fetch or upgrade first)',
        ),
      )
    }
    assert.throws(
      () =>
        planUpdate(
          config,
          {action: 'rollback', release: undefined, parallel: 1, restart: false},
          facts({halfDoneInstall: true}),
        ),
      /still half done .* freebsd-update rollback would drop it/,
    )
  })

  it('a half-done install is finished only by the action and release that began it', () => {
    const pendingStep = {action: 'upgrade' as const, targetRelease: '15.1-RELEASE', startedAt: '2026-11-28T15:00:00Z'}
    const half = facts({halfDoneInstall: true, pendingStep})
    const request = (action: 'patch' | 'upgrade' | 'rollback', release?: string) => ({
      action,
      release: release === undefined ? undefined : parseRelease(release),
      parallel: 1,
      restart: false,
    })
    assert.throws(
      () => planUpdate(config, request('patch'), half),
      /an upgrade to 15\.1-RELEASE is half installed .* run tsez update -U -r 15\.1-RELEASE first/,
    )
    assert.throws(
      () => planUpdate(config, request('upgrade', '15.2-RELEASE'), half),
      /run tsez update -U -r 15\.1-RELEASE/,
    )
    assert.throws(
      () => planUpdate(config, request('rollback'), half),
      /finish it first with tsez update -U -r 15\.1-RELEASE/,
    )
    assert.equal(planUpdate(config, request('upgrade', '15.1-RELEASE'), half).resume, true)
    // The note alone (an install that never began) changes nothing.
    assert.equal(planUpdate(config, request('patch'), facts({pendingStep})).resume, false)
  })

  it('-U to an older release is refused, to the release there is a no-op, unless a half-done upgrade to it waits', () => {
    const upgrade = (release: string, more: Partial<PlanFacts> = {}) =>
      planUpdate(config, {action: 'upgrade', release: parseRelease(release), parallel: 4, restart: true}, facts(more))
    for (const older of ['14.2-RELEASE', '14.3-RC3', '13.5-RELEASE'])
      assert.throws(
        () => upgrade(older),
        (e: Error) => e instanceof UsageError && /cannot downgrade/.test(e.message),
      )
    const same = upgrade('14.3-RELEASE')
    assert.equal(same.upToDate, true)
    assert.deepEqual([same.base, same.tarballs, same.bootstraps, same.merges, same.running], [[], [], [], [], []])
    assert.equal(same.snapshot, undefined)
    assert.equal(same.updateConf, undefined)
    assert.deepEqual(describeUpdatePlan(same).slice(-1), [
      'note the basejail already runs 14.3-RELEASE (14.3-RELEASE-p2): nothing to upgrade; nothing is run or written',
    ])
    // The world phase of an upgrade to 15.1 went in, the old libraries' removal did not: it still has to finish.
    const halfDone = upgrade('15.1-RELEASE', {
      versionBefore: '15.1-RELEASE',
      halfDoneInstall: true,
      pendingStep: {action: 'upgrade', targetRelease: '15.1-RELEASE', startedAt: '2026-11-28T15:00:00.000Z'},
    })
    assert.equal(halfDone.upToDate, false)
    assert.deepEqual(
      halfDone.base.map((c) => c.phase),
      ['install'],
    )
    assert.equal(upgrade('15.1-RELEASE').upToDate, false)
  })
})
