import assert from 'node:assert/strict'

import {resolveConfig} from '../../src/config.js'
import {readEzjailHost} from '../../src/jail/ezjail-host.js'
import {readEzjailJail, type AdoptedJail} from '../../src/jail/ezjail-jail.js'
import {planEzjailImport, type EzjailSeen} from '../../src/import/ezjail-plan.js'
import {ezjailJailFile, type EzjailJailSpec} from '../fixtures/ezjail-host.js'

const config = resolveConfig(new Map([['tsez_fstab_dir', '/usr/local/etc/tsez/fstab']]), undefined)
const host = readEzjailHost(undefined, '/usr/local/etc/ezjail.conf')
const layout = {conf: '', dir: '/usr/local/etc/ezjail', fstabDir: '/etc', jaildir: '/usr/jails', basejail: '/usr/jails/basejail', newjail: '/usr/jails/newjail'} // prettier-ignore

function source(spec: EzjailJailSpec, fstab?: string) {
  const fileName = `${spec.name.replace(/[^A-Za-z0-9]/g, '_')}${spec.norun === true ? '.norun' : ''}`
  const text = ezjailJailFile(spec, layout)
  return {
    fileName,
    path: `/usr/local/etc/ezjail/${fileName}`,
    text,
    fstab: fstab === undefined ? undefined : {path: '/etc/fstab.x', text: fstab},
  }
}
function adopted(spec: EzjailJailSpec, fstab?: string): AdoptedJail {
  const read = readEzjailJail(source(spec, fstab), host, config)
  assert.ok(read.ok, read.ok ? '' : read.reason)
  return read.jail
}

describe('readEzjailHost', () => {
  it("takes ezjail-admin's defaults for what the file leaves unset, later defaults built from earlier keys", () => {
    const read = readEzjailHost('ezjail_jaildir=/j\nezjail_use_zfs="YES"\nezjail_jailzfs=tank/ez\n', 'f')
    assert.deepEqual(read, {jaildir: '/j', basejail: '/j/basejail', newjail: '/j/newjail', flavours: '/j/flavours', useZfs: true, jailzfs: 'tank/ez'}) // prettier-ignore
    assert.equal(readEzjailHost(undefined, 'f').basejail, '/usr/jails/basejail')
  })
  it('refuses a relative path and names the key', () => {
    assert.throws(
      () => readEzjailHost('ezjail_jailbase=basejail\n', 'f'),
      /f: ezjail_jailbase "basejail" is not an absolute path/,
    )
  })
})

describe('readEzjailJail', () => {
  it("ezjail's defaults give a jail with tsez's defaults: no extra parameters but the mounts rc.d/jail made", () => {
    const jail = adopted({name: 'www.example.com', ip: 'lo1|127.0.1.1,em0|192.168.1.50'})
    assert.deepEqual(jail.fields, {
      name: 'www_example_com',
      hostname: 'www.example.com',
      root: '/usr/jails/www.example.com',
      addresses: ['lo1|127.0.1.1', 'em0|192.168.1.50'],
      run: true,
      params: {'allow.mount': true, 'mount.procfs': true, 'mount.fdescfs': true},
      mounts: [],
    })
    assert.deepEqual(jail.rcorder, {provide: ['standard_ezjail'], require: [], before: []})
  })

  it('maps every knob: norun, exec commands, devfs, fib, cpuset, ZFS datasets, parameters, post-start script', () => {
    const jail = adopted({
      name: 'db',
      ip: '10.0.0.6',
      norun: true,
      require: 'www mail',
      set: {
        exec_start: '/bin/sh /etc/rc db',
        exec_stop: '/bin/sh /etc/rc.shutdown',
        mount_enable: 'NO',
        devfs_enable: 'NO',
        devfs_ruleset: '10',
        procfs_enable: 'NO',
        fdescfs_enable: 'NO',
        fib: '2',
        cpuset: '0,2-3',
        zfs_datasets: 'tank/db',
        parameters: 'allow.raw_sockets=1 allow.nosysvipc securelevel=2',
        post_start_script: '/usr/local/bin/after start',
      },
    })
    assert.equal(jail.fields.run, false)
    assert.deepEqual(jail.fields.params, {
      'exec.start': '/bin/sh /etc/rc db',
      'exec.stop': '/bin/sh /etc/rc.shutdown',
      'mount.devfs': false,
      devfs_ruleset: 10,
      'exec.fib': 2,
      'allow.raw_sockets': true,
      'allow.sysvipc': false,
      securelevel: 2,
      'exec.created': ['cpuset -l 0,2-3 -j db', 'zfs jail db tank/db'],
      'exec.poststart': `'/usr/local/bin/after start' "$(jls -j db jid)" db`,
    })
    assert.deepEqual(jail.rcorder.require, ['www', 'mail'])
  })

  it("drops ezjail's basejail line from the fstab and carries the admin's own lines", () => {
    const fstab = ['/usr/jails/basejail /usr/jails/db/basejail nullfs ro 0 0', '# a comment', '/data /usr/jails/db/data nullfs rw 0 0', 'tmpfs /usr/jails/db/tmp tmpfs rw,mode=1777'].join('\n') // prettier-ignore
    assert.deepEqual(adopted({name: 'db', ip: '10.0.0.6'}, fstab).fields.mounts, [
      {device: '/data', mountPoint: '/usr/jails/db/data', type: 'nullfs', options: 'rw', dump: 0, pass: 0},
      {device: 'tmpfs', mountPoint: '/usr/jails/db/tmp', type: 'tmpfs', options: 'rw,mode=1777', dump: 0, pass: 0},
    ])
    const bad = readEzjailJail(source({name: 'db', ip: '10.0.0.6'}, 'only two\n'), host, config)
    assert.match(bad.ok ? '' : bad.reason, /fstab\.x:1: not an fstab line/)
  })
})

describe('planEzjailImport: start order', () => {
  const seen = (specs: EzjailJailSpec[]): EzjailSeen => ({
    host,
    sources: specs.map((s) => source(s)),
    records: [],
    reserved: ['basejail', 'newjail', 'flavours'],
    files: new Map(),
    roots: new Map(specs.map((s) => [s.name, {path: `/usr/jails/${s.name}`, real: `/usr/jails/${s.name}`}])),
    around: {jaildir: {path: '/usr/jails', real: '/usr/jails'}, own: [], jails: []},
    userland: '14.3-RELEASE-p2',
    now: new Date(0),
  })

  it('REQUIRE makes a jail depend on the providers, BEFORE makes the named providers depend on it', () => {
    const plan = planEzjailImport(config, seen([
      {name: 'web', ip: '10.0.0.1', provide: 'www', require: 'db'},
      {name: 'db', ip: '10.0.0.2', provide: 'db'},
      {name: 'cache', ip: '10.0.0.3', before: 'www'},
    ]), []) // prettier-ignore
    const depend = Object.fromEntries(plan.jails.map((r) => [r.name, r.depend]))
    assert.deepEqual(depend, {cache: [], db: [], web: ['cache', 'db']})
    assert.equal(plan.jails[0]?.release, '14.3-RELEASE-p2')
  })

  it('refuses the jails on an rcorder cycle and imports the rest', () => {
    const plan = planEzjailImport(config, seen([
      {name: 'a', ip: '10.0.0.1', provide: 'a', require: 'b'},
      {name: 'b', ip: '10.0.0.2', provide: 'b', require: 'a'},
      {name: 'c', ip: '10.0.0.3'},
    ]), []) // prettier-ignore
    assert.deepEqual(
      plan.jails.map((r) => r.name),
      ['c'],
    )
    assert.deepEqual(plan.refused.map((r) => r.name).sort(), ['a', 'b'])
    assert.match(plan.refused[0]?.reason ?? '', /cycle (a -> b -> a|b -> a -> b)/)
  })
})
