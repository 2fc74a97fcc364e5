import assert from 'node:assert/strict'

import {resolveConfig} from '../../src/config.js'
import type {ArchiveMeta} from '../../src/jail/archive-format.js'
import type {JailRecord} from '../../src/jail/store.js'
import {planRestore, type RestoreObservation, type RestorePlan} from '../../src/restore/plan.js'

const config = resolveConfig(new Map([['tsez_jaildir', '/usr/jails']]), '/tsez.conf')

function archived(params: JailRecord['params']): ArchiveMeta {
  return {
    format: 'tsez-archive',
    version: 1,
    jail: {
      version: 1,
      name: 'web1',
      hostname: 'web1',
      root: '/elsewhere/web1',
      addresses: ['10.0.0.1'],
      flavours: [],
      run: true,
      depend: [],
      params,
      release: '14.3-RELEASE',
      created: '2026-01-01T00:00:00.000Z',
    },
    release: '14.3-RELEASE',
    arch: 'amd64/amd64',
    host: 'old.example.org',
    created: '2026-02-01T00:00:00Z',
    tsez: '0.1.0',
    compression: 'xz',
    entries: 1,
    bytes: 0,
  }
}

const seen = (meta: ArchiveMeta): RestoreObservation => ({
  meta,
  records: [],
  reserved: ['basejail', 'newjail', 'flavours'],
  basejailRelease: '14.3-RELEASE',
  root: 'missing',
  rootReal: '/usr/jails/web1',
  around: {jaildir: {path: '/usr/jails', real: '/usr/jails'}, own: [], jails: []},
  conf: 'missing',
  fstab: 'missing',
  datasetTaken: false,
  nonce: 'abcd1234',
})

const request = {archive: 'web1.tsez.tar.xz', verify: true, forceRelease: false}

/** The plan for SEEN, which must be accepted. */
function planned(observed: RestoreObservation): RestorePlan {
  const plan = planRestore(config, request, observed)
  if (Array.isArray(plan)) throw new Error(`refused: ${plan.join('; ')}`)
  return plan
}

describe('restore planning', () => {
  it('carries only the parameters of what the jail does inside itself; every other one is dropped and named', () => {
    const params: JailRecord['params'] = {
      'exec.start': '/bin/sh /etc/rc',
      'exec.stop': '/bin/sh /etc/rc.shutdown jail',
      'exec.jail_user': 'root',
      'stop.timeout': 30,
      persist: true,
      securelevel: 3,
      // a command jail(8) runs on the host, a host file it appends to, host resources, a looser jail
      'exec.prepare': 'touch /tmp/pwned-by-archive',
      'exec.prestart': 'touch /tmp/pwned',
      'exec.poststop': 'touch /tmp/pwned',
      'exec.consolelog': '/root/.ssh/authorized_keys',
      'zfs.dataset': ['zroot/ROOT/default'],
      'vnet.interface': ['em0'],
      interface: 'em0',
      devfs_ruleset: 0,
      enforce_statfs: 0,
      'allow.mount': true,
      'allow.raw_sockets': true,
      sysvshm: 'inherit',
      'mount.fstab': '/etc/fstab',
    }
    const plan = planned(seen(archived(params)))
    assert.deepEqual(Object.keys(plan.record.params).sort(), [
      'exec.jail_user',
      'exec.start',
      'exec.stop',
      'persist',
      'securelevel',
      'stop.timeout',
    ])
    const dropped = plan.dropped.map((line) => /^parameter (\S+) /.exec(line)?.[1])
    assert.deepEqual(
      dropped.sort(),
      Object.keys(params)
        .filter((key) => !(key in plan.record.params))
        .sort(),
    )
    assert.match(plan.dropped[0] ?? '', /acts on the host or loosens the jail; tsez config --param sets it again/)
  })

  it('names a dropped parameter, depend or mount so that no byte of it reaches the terminal raw', () => {
    const meta = archived({'exec.\u001b[2Jprepare': 'x'})
    meta.jail.depend = ['db\u0007']
    meta.jail.mounts = [{device: '/data\u001b', mountPoint: '/usr/jails/web1/data', type: 'nullfs', options: 'rw'}]
    const plan = planned(seen(meta))
    assert.equal(plan.dropped.length, 3)
    for (const line of plan.dropped) assert.ok(![...line].some((char) => char.charCodeAt(0) < 0x20), line)
  })

  it('a VNET jail comes back on the host stack with its addresses; vnet, limits and cpuset are dropped and named', () => {
    const meta = archived({})
    meta.jail.addresses = []
    meta.jail.vnet = {epair: 3, bridge: 'bridge0', mac: '02:00:00:00:00:01', addresses: ['10.0.0.9/24'], dhcp: false}
    meta.jail.limits = [{resource: 'memoryuse', action: 'deny', amount: '1G'}]
    meta.jail.cpuset = '0-1'
    const plan = planned(seen(meta))
    assert.deepEqual(plan.record.addresses, ['10.0.0.9/24'])
    assert.equal(plan.record.vnet, undefined)
    assert.deepEqual(
      plan.dropped.map((line) => line.split(' ')[0]),
      ['vnet', 'limits', 'cpuset'],
    )
  })
})
