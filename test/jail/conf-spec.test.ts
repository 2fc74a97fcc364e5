import assert from 'node:assert/strict'

import {resolveConfig} from '../../src/config.js'
import {jailConfSpecFor} from '../../src/jail/conf-spec.js'
import type {JailRecord} from '../../src/jail/store.js'
import {parseJailConf} from '../../src/jail/conf-parse.js'
import {renderJailConf} from '../../src/jail/conf-render.js'

const config = resolveConfig(
  new Map([
    ['tsez_jaildir', '/j'],
    ['tsez_jailconf_dir', '/e/jail.conf.d'],
    ['tsez_fstab_dir', '/e'],
    ['tsez_devfs_ruleset', '5'],
    ['tsez_exec_stop', '/bin/sh /etc/rc.shutdown'],
  ]),
  '/e/tsez.conf',
)

const record: JailRecord = {
  version: 1,
  name: 'www_example_com',
  hostname: 'www.example.com',
  root: '/j/www_example_com',
  addresses: ['em0|192.0.2.10/24', 'fd00::10'],
  flavours: ['webserver'],
  run: true,
  depend: ['db1'],
  params: {'allow.raw_sockets': true, securelevel: 3},
  release: '14.3-RELEASE',
  created: '2026-11-28T00:00:00.000Z',
}

describe('jail/conf-spec', () => {
  it('derives every value from the record and the host configuration (depend stays in the record)', () => {
    const spec = jailConfSpecFor(config, record)
    assert.deepEqual(spec, {
      name: 'www_example_com',
      path: '/j/www_example_com',
      hostname: 'www.example.com',
      addresses: [
        {family: 4, iface: 'em0', address: '192.0.2.10', prefix: 24},
        {family: 6, address: 'fd00::10'},
      ],
      fstab: '/e/fstab.www_example_com',
      devfsRuleset: 5,
      execStart: '/bin/sh /etc/rc',
      execStop: '/bin/sh /etc/rc.shutdown',
      consoleLog: '/var/log/jail_www_example_com_console.log',
      params: {'allow.raw_sockets': true, securelevel: 3},
    })
    const [jail] = parseJailConf(renderJailConf(spec))
    assert.deepEqual(jail?.params.get('ip4.addr'), ['em0|192.0.2.10/24'])
    assert.equal(jail?.params.has('osrelease'), false)
  })

  it('does not share arrays or objects with the record', () => {
    const spec = jailConfSpecFor(config, record)
    spec.params.securelevel = 1
    assert.equal(record.params.securelevel, 3)
  })

  it('refuses a record whose address was damaged by hand, naming the fix', () => {
    assert.throws(
      () => jailConfSpecFor(config, {...record, addresses: ['10.0.0.999']}),
      /tsez config www_example_com --ip/,
    )
  })
})
