import assert from 'node:assert/strict'

import {planClone, type CloneObservation, type ClonePlan} from '../../src/clone/plan.js'
import {resolveConfig} from '../../src/config.js'
import type {JailRecord} from '../../src/jail/store.js'

const config = resolveConfig(
  new Map([
    ['tsez_jaildir', '/usr/jails'],
    ['tsez_use_zfs', 'YES'],
    ['tsez_zfs_parent', 'zroot/tsez'],
    ['tsez_zfs_properties', 'compression=lz4'],
  ]),
  '/tsez.conf',
)

const web1: JailRecord = {
  version: 1,
  name: 'web1',
  hostname: 'web1.example.org',
  root: '/usr/jails/web1',
  addresses: ['em0|10.0.0.1/24'],
  flavours: ['webserver'],
  run: true,
  depend: ['db1'],
  params: {'allow.raw_sockets': true},
  release: '14.3-RELEASE',
  created: '2026-01-01T00:00:00.000Z',
  mounts: [{device: '/data', mountPoint: '/usr/jails/web1/data', type: 'nullfs', options: 'rw'}],
}

const seen = (over: Partial<CloneObservation> = {}): CloneObservation => ({
  records: [web1],
  reserved: ['basejail', 'newjail', 'flavours'],
  running: [],
  root: 'missing',
  rootReal: '/usr/jails/web2',
  around: {jaildir: {path: '/usr/jails', real: '/usr/jails'}, own: [], jails: []},
  conf: 'missing',
  fstab: 'missing',
  datasetTaken: false,
  now: new Date('2026-02-03T04:05:06Z'),
  nonce: 'abcd',
  ...over,
})

describe('clone planning', () => {
  it("gives NEW its own name, hostname and addresses, SRC's flavours and parameters, not its depend or mounts", () => {
    const plan = planClone(config, {source: 'web1.example.org', name: 'web2', ipList: '10.0.0.2'}, seen()) as ClonePlan
    assert.equal(plan.source.name, 'web1')
    assert.deepEqual(
      [plan.record.name, plan.record.hostname, plan.record.root, plan.record.addresses],
      ['web2', 'web2', '/usr/jails/web2', ['10.0.0.2']],
    )
    assert.deepEqual([plan.record.flavours, plan.record.params, plan.record.run], [['webserver'], web1.params, true])
    assert.deepEqual([plan.record.depend, plan.record.mounts], [[], undefined])
    assert.equal(plan.record.created, '2026-02-03T04:05:06.000Z')
    assert.equal(plan.staging, '/usr/jails/.tsez-clone-web2.abcd')
    assert.ok(plan.dropped.some((line) => line.includes('db1')))
    assert.ok(plan.dropped.some((line) => line.includes('/data on /usr/jails/web1/data')))
  })

  it('on ZFS: a snapshot of the source cloned to PARENT/NEW at the root, the record keeping the dataset', () => {
    const over = {sourceDataset: 'zroot/tsez/web1', running: ['web1']}
    const plan = planClone(config, {source: 'web1', name: 'web2', ipList: '10.0.0.2'}, seen(over)) as ClonePlan
    assert.deepEqual(plan.zfs, {
      snapshot: 'zroot/tsez/web1@tsez-clone-web2-20260203T040506Z',
      dataset: 'zroot/tsez/web2',
      properties: ['mountpoint=/usr/jails/web2', 'compression=lz4'],
    })
    assert.equal(plan.record.dataset, 'zroot/tsez/web2')
    assert.equal(plan.staging, undefined)
  })

  it('on ZFS: refuses names past the 255 bytes zfs takes (the snapshot of a long source for a long NEW)', () => {
    const over = {sourceDataset: `zroot/tsez/${'s'.repeat(200)}`, rootReal: `/usr/jails/${'n'.repeat(200)}`}
    const long = planClone(config, {source: 'web1', name: 'n'.repeat(200), ipList: '10.0.0.2'}, seen(over))
    assert.ok(Array.isArray(long))
    assert.match(
      long.join(),
      /^snapshot zroot\/tsez\/s+@tsez-clone-n+-\S+ would be 440 bytes long, past the 255 zfs takes/,
    )
    const fits = planClone(
      config,
      {source: 'web1', name: 'n'.repeat(200), ipList: '10.0.0.2'},
      seen({...over, sourceDataset: 'zroot/tsez/web1'}),
    )
    assert.ok(!Array.isArray(fits), Array.isArray(fits) ? fits.join('; ') : '')
  })

  it('every problem at once: unknown or running source, taken address, bad hostname, existing root', () => {
    const problems = planClone(
      config,
      {source: 'nope', name: 'web2', ipList: '10.0.0.1', hostname: 'a b'},
      seen({root: 'directory'}),
    ) as string[]
    assert.ok(Array.isArray(problems))
    for (const pattern of [
      /no jail named "nope"/,
      /10\.0\.0\.1 is in use by jail web1/,
      /--hostname/,
      /exists already/,
    ]) {
      assert.ok(
        problems.some((p) => pattern.test(p)),
        `${pattern}: ${problems.join('; ')}`,
      )
    }
    // A hostname another jail has (as hostname or name) would name two jails wherever a name or hostname is taken
    for (const hostname of ['web1.example.org', 'web1']) {
      const twin = planClone(config, {source: 'web1', name: 'web2', ipList: '10.0.0.2', hostname}, seen())
      assert.match((twin as string[]).join(), /^--hostname: jail web1 has the (hostname|name) "?web1/)
    }
    const running = planClone(config, {source: 'web1', name: 'web2', ipList: '10.0.0.2'}, seen({running: ['web1']}))
    assert.match((running as string[]).join(), /jail web1 is running: stop it first/)
    const taken = planClone(
      config,
      {source: 'web1', name: 'web2', ipList: '10.0.0.2'},
      seen({sourceDataset: 'zroot/tsez/web1', datasetTaken: true}),
    )
    assert.match((taken as string[]).join(), /dataset zroot\/tsez\/web2 exists already/)
  })
})
