// Tests for IP-list parsing: the accepted forms, the refused ones with their messages, and round trips.
import assert from 'node:assert/strict'

import {formatJailAddress, type JailAddress, parseIpList, parseJailAddress} from '../../src/jail/ip.js'

/** Good elements: the input, what it parses to, and how jail(8) gets it back. */
const GOOD: Array<[string, JailAddress, string]> = [
  ['10.0.0.5', {family: 4, address: '10.0.0.5'}, '10.0.0.5'],
  ['192.0.2.11/32', {family: 4, address: '192.0.2.11', prefix: 32}, '192.0.2.11/32'],
  ['em0|192.0.2.11', {family: 4, iface: 'em0', address: '192.0.2.11'}, 'em0|192.0.2.11'],
  ['em0|192.0.2.11/24', {family: 4, iface: 'em0', address: '192.0.2.11', prefix: 24}, 'em0|192.0.2.11/24'],
  ['lo1|127.0.1.1', {family: 4, iface: 'lo1', address: '127.0.1.1'}, 'lo1|127.0.1.1'],
  ['igb0.100|10.1.2.3/16', {family: 4, iface: 'igb0.100', address: '10.1.2.3', prefix: 16}, 'igb0.100|10.1.2.3/16'],
  ['vtnet0|0.0.0.1/0', {family: 4, iface: 'vtnet0', address: '0.0.0.1', prefix: 0}, 'vtnet0|0.0.0.1/0'],
  [
    'bridge0|10.0.0.1/255.255.255.0',
    {family: 4, iface: 'bridge0', address: '10.0.0.1', prefix: 24},
    'bridge0|10.0.0.1/24',
  ],
  ['255.255.255.254', {family: 4, address: '255.255.255.254'}, '255.255.255.254'],
  ['2001:db8::10', {family: 6, address: '2001:db8::10'}, '2001:db8::10'],
  ['em0|2001:db8::10/64', {family: 6, iface: 'em0', address: '2001:db8::10', prefix: 64}, 'em0|2001:db8::10/64'],
  ['2001:DB8:0:0:0:0:0:1', {family: 6, address: '2001:db8::1'}, '2001:db8::1'],
  ['2001:0db8:0000:0000:0001:0000:0000:0001', {family: 6, address: '2001:db8::1:0:0:1'}, '2001:db8::1:0:0:1'],
  ['::1', {family: 6, address: '::1'}, '::1'],
  ['fe80::1/128', {family: 6, address: 'fe80::1', prefix: 128}, 'fe80::1/128'],
  ['lo0|::ffff:192.0.2.1', {family: 6, iface: 'lo0', address: '::ffff:192.0.2.1'}, 'lo0|::ffff:192.0.2.1'],
  ['::FFFF:c000:0201', {family: 6, address: '::ffff:192.0.2.1'}, '::ffff:192.0.2.1'],
  ['1:2:3:4:5:6:7::', {family: 6, address: '1:2:3:4:5:6:7:0'}, '1:2:3:4:5:6:7:0'],
  ['::2:3:4:5:6:7:8', {family: 6, address: '0:2:3:4:5:6:7:8'}, '0:2:3:4:5:6:7:8'],
  ['1:0:0:2:0:0:0:3', {family: 6, address: '1:0:0:2::3'}, '1:0:0:2::3'],
  ['64:ff9b::192.0.2.33/96', {family: 6, address: '64:ff9b::c000:221', prefix: 96}, '64:ff9b::c000:221/96'],
  ['lan_0|10.9.8.7', {family: 4, iface: 'lan_0', address: '10.9.8.7'}, 'lan_0|10.9.8.7'],
]

/** Bad elements or lists, and a fragment the problem must contain. */
const BAD: Array<[string, string]> = [
  ['', 'empty'],
  ['10.0.0.5,,', 'empty element'],
  [',10.0.0.5', 'empty element at position 1'],
  ['10.0.0.5,', 'empty element at position 2'],
  ['10.0.0.5, 10.0.0.6', 'whitespace'],
  [' 10.0.0.5', 'whitespace'],
  ['em0|', 'no address after "|"'],
  ['|10.0.0.1', 'interface before "|" is empty'],
  ['em0|lo0|10.0.0.1', 'more than one "|"'],
  ['0em|10.0.0.1', 'not an interface name'],
  ['averyveryverylongif0|10.0.0.1', 'not an interface name'],
  ['em0:1|10.0.0.1', 'not an interface name'],
  ['::g', 'group "g"'],
  ['999.1.1.1', 'out of range 0-255'],
  ['256.0.0.1', 'out of range'],
  ['010.0.0.1', 'leading zero'],
  ['10.0.0.01', 'leading zero'],
  ['10.0.0.5/33', 'prefix length 0-32'],
  ['10.0.0.1/08', 'prefix length 0-32'],
  ['1.2.3.4/', 'prefix length 0-32'],
  ['1.2.3.4/-1', 'prefix length 0-32'],
  ['1.2.3.4/255.0.255.0', 'contiguous netmask'],
  ['1.2.3', 'not a dotted quad'],
  ['1.2.3.4.5', 'not a dotted quad'],
  ['1..3.4', 'empty octet'],
  ['0.0.0.0', 'unspecified'],
  ['255.255.255.255', 'broadcast'],
  ['224.0.0.1', 'multicast'],
  ['1:2:3:4:5:6:7:8:9', '9 groups, not 8'],
  ['1:2:3:4:5:6:7', '7 groups, not 8'],
  [':::', 'stray ":"'],
  ['1::2::3', 'more than one "::"'],
  [':1::2', 'stray ":"'],
  ['1::2:', 'stray ":"'],
  ['1:2:3:4:5:6:7:8::', 'too many groups'],
  ['12345::1', 'group "12345"'],
  ['fe80::1%em0', 'zone ids'],
  ['[2001:db8::1]', 'brackets'],
  ['::', 'unspecified'],
  ['ff02::1', 'multicast'],
  ['2001:db8::1/129', 'prefix length 0-128'],
  ['2001:db8::1/064', 'prefix length 0-128'],
  ['::1.2.3.4.5', 'embedded'],
  ['1.2.3.4::1', 'not at the end'],
  ['localhost', 'neither an IPv4 nor an IPv6 address'],
  ['10.0.0.1,10.0.0.1', 'appears twice'],
  ['em0|10.0.0.1,lo1|10.0.0.1/24', 'appears twice'],
  ['2001:db8::1,2001:DB8:0::1', 'appears twice'],
]

describe('jail/ip', () => {
  describe('accepted elements', () => {
    for (const [input, expected, rendered] of GOOD) {
      it(`parses ${input} and renders it back as ${rendered}`, () => {
        assert.deepEqual(parseIpList(input), {addresses: [expected], problems: []})
        assert.equal(formatJailAddress(expected), rendered)
        assert.deepEqual(parseJailAddress(rendered), expected, 'the rendered form parses to the same address')
      })
    }

    it('parses a mixed list in order', () => {
      const {addresses, problems} = parseIpList('em0|192.0.2.11/24,2001:db8::11,lo1|127.0.1.1')
      assert.deepEqual(problems, [])
      assert.deepEqual(addresses.map(formatJailAddress), ['em0|192.0.2.11/24', '2001:db8::11', 'lo1|127.0.1.1'])
    })
  })

  describe('refused forms', () => {
    assert.ok(BAD.length >= 30)
    for (const [input, fragment] of BAD) {
      it(`refuses ${JSON.stringify(input)} (${fragment})`, () => {
        const {problems} = parseIpList(input)
        assert.ok(problems.length >= 1, `no problem reported for ${JSON.stringify(input)}`)
        assert.ok(
          problems.some((p) => p.includes(fragment)),
          `${JSON.stringify(problems)} lacks ${JSON.stringify(fragment)}`,
        )
        for (const problem of problems) assert.ok(!problem.includes('\n'))
      })
    }

    it('names the bad element in its problem', () => {
      const {addresses, problems} = parseIpList('10.0.0.5,999.1.1.1,em0|')
      assert.deepEqual(
        addresses.map((a) => a.address),
        ['10.0.0.5'],
      )
      assert.equal(problems.length, 2)
      assert.ok(problems[0]?.startsWith('"999.1.1.1":'))
      assert.ok(problems[1]?.startsWith('"em0|":'))
    })

    it('reports each empty element', () => {
      assert.equal(parseIpList('10.0.0.5,,,10.0.0.6').problems.length, 2)
    })
  })
})
