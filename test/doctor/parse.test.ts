// tsez doctor's readers of host text: ifconfig -a, rc.conf assignments, /etc/jail.conf's jails and includes.
import assert from 'node:assert/strict'

import {isYes, outlineJailConf, parseIfconfig, parseRcAssignments} from '../../src/doctor/parse.js'

describe('doctor parsers', () => {
  it('ifconfig -a: each interface with its inet and inet6 addresses, zone ids dropped', () => {
    const text = [
      'em0: flags=1008843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST,LOWER_UP> metric 0 mtu 1500',
      '\toptions=4e527bb<RXCSUM,TXCSUM,VLAN_MTU>',
      '\tether 58:9c:fc:10:ff:a5',
      '\tinet 192.0.2.10 netmask 0xffffff00 broadcast 192.0.2.255',
      '\tinet6 fe80::5a9c:fcff:fe10:ffa5%em0 prefixlen 64 scopeid 0x1',
      '\tinet6 2001:DB8::10 prefixlen 64',
      'bridge0: flags=8802<BROADCAST,SIMPLEX,MULTICAST> metric 0 mtu 1500',
      '\tid 00:00:00:00:00:00 priority 32768 hellotime 2 fwddelay 15',
      'lo0: flags=1008049<UP,LOOPBACK,RUNNING,MULTICAST,LOWER_UP> metric 0 mtu 16384',
      '\tinet 127.0.0.1 netmask 0xff000000',
      '\tinet6 ::1 prefixlen 128',
      '',
    ].join('\n')
    assert.deepEqual(
      parseIfconfig(text),
      new Map([
        ['em0', ['192.0.2.10', 'fe80::5a9c:fcff:fe10:ffa5', '2001:db8::10']],
        ['bridge0', []],
        ['lo0', ['127.0.0.1', '::1']],
      ]),
    )
  })

  it('rc.conf: quoted, single-quoted and bare values, comments; rc.conf.local wins; commands are not run', () => {
    const rc = parseRcAssignments(
      [
        '# jails',
        'jail_enable="YES"  # on',
        "jail_list='web1 db1'",
        'tsez_enable=NO',
        'hostname=`touch /tmp/x`',
        '  ifconfig_em0="inet 192.0.2.10/24"',
      ].join('\n'),
    )
    parseRcAssignments('tsez_enable="yes"\n', rc)
    assert.deepEqual(Object.fromEntries(rc), {
      jail_enable: 'YES',
      jail_list: 'web1 db1',
      tsez_enable: 'yes',
      ifconfig_em0: 'inet 192.0.2.10/24',
    })
    assert.ok(isYes('YES') && isYes('on') && isYes('True') && isYes('1'))
    assert.ok(!isYes('NO') && !isYes(undefined) && !isYes('yes please'))
  })

  it('/etc/jail.conf: the jails it defines and what it includes, or the problem jail(8) would report', () => {
    const text = [
      'exec.start = "/bin/sh /etc/rc";',
      '.include "/etc/jail.conf.d/*.conf";',
      'www { path = "/jails/www"; }',
      '"db" { path = "/jails/db"; }',
      '',
    ].join('\n')
    assert.deepEqual(outlineJailConf(text, '/etc/jail.conf'), {
      names: ['www', 'db'],
      includes: ['/etc/jail.conf.d/*.conf'],
    })
    assert.deepEqual(outlineJailConf('', '/etc/jail.conf'), {names: [], includes: []})
    const broken = outlineJailConf('www {\n', '/etc/jail.conf')
    assert.deepEqual([broken.names, broken.includes], [[], []])
    assert.match(broken.problem ?? '', /\/etc\/jail\.conf/)
  })
})
