// The VNET rules without a host: MACs, epair units, gateways in the network, and the rc.conf.d lines.
import assert from 'node:assert/strict'

import {allocateEpair, derivedMac, parseVnetRequest, type VnetSettings} from '../../src/jail/vnet.js'
import {vnetRcFiles} from '../../src/jail/vnet-rc.js'

const request = (ipList: string, gateways: string[] = [], mac?: string) => ({bridge: 'bridge0', mac, gateways, ipList})

describe('vnet settings', () => {
  it('derives a stable, locally administered unicast MAC per name', () => {
    const macs = ['web', 'db', 'a'.repeat(200)].map(derivedMac)
    assert.deepEqual(macs, ['web', 'db', 'a'.repeat(200)].map(derivedMac))
    assert.equal(new Set(macs).size, 3)
    for (const mac of macs) {
      assert.match(mac, /^02(:[0-9a-f]{2}){5}$/)
      assert.equal(parseInt(mac.slice(0, 2), 16) & 0b11, 0b10)
    }
  })

  it('allocates the lowest unit neither a record nor the host uses', () => {
    assert.equal(allocateEpair([], []), 0)
    assert.equal(allocateEpair([0, 1, 3], ['lo0', 'epair2b', 'epair10a', 'bridge0']), 4)
    assert.equal(allocateEpair([...Array(0x8000).keys()], []), undefined)
  })

  it('checks gateways against the network of an address of their family', () => {
    const ok = parseVnetRequest(
      'web',
      request('192.0.2.20/25,2001:db8:1::20/48', ['192.0.2.126', '2001:db8:1:ff::1']),
      4,
    )
    assert.deepEqual(ok, {
      epair: 4,
      bridge: 'bridge0',
      mac: derivedMac('web'),
      addresses: ['192.0.2.20/25', '2001:db8:1::20/48'],
      dhcp: false,
      gateway4: '192.0.2.126',
      gateway6: '2001:db8:1:ff::1',
    } satisfies VnetSettings)
    assert.deepEqual(parseVnetRequest('web', request('192.0.2.20/25', ['192.0.2.129']), 0), [
      "gateway 192.0.2.129 is not in the network of any of the jail's IPv4 addresses",
    ])
    assert.deepEqual(
      parseVnetRequest('web', request('::ffff:10.0.0.5/120', ['::ffff:10.0.0.1']), 0).constructor,
      Object,
    )
    assert.deepEqual(parseVnetRequest('web', request('2001:db8::5/64', ['2001:db8:0:1::1']), 0), [
      "gateway 2001:db8:0:1::1 is not in the network of any of the jail's IPv6 addresses",
    ])
  })

  it('writes the rc.conf.d lines: first address of each family, then aliases; SYNCDHCP for dhcp', () => {
    const vnet = parseVnetRequest('web', request('2001:db8::5/64,192.0.2.5/24,192.0.2.6/24,2001:db8::6/64'), 3)
    assert.ok(!Array.isArray(vnet))
    const files = vnetRcFiles('web', vnet)
    assert.equal(
      files.netif?.split('\n').slice(1).join('\n'),
      'ifconfig_epair3b_ipv6="inet6 2001:db8::5/64"\nifconfig_epair3b="inet 192.0.2.5/24"\n' +
        'ifconfig_epair3b_alias0="inet 192.0.2.6/24"\nifconfig_epair3b_alias1="inet6 2001:db8::6/64"\n',
    )
    assert.deepEqual([files.routing, files.dhclient], [undefined, undefined])
    const dhcp = parseVnetRequest('db', request('dhcp'), 0)
    assert.ok(!Array.isArray(dhcp))
    assert.equal(vnetRcFiles('db', dhcp).dhclient?.split('\n')[1], 'ifconfig_epair0b="SYNCDHCP"')
  })
})
