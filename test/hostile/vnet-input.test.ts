// Bad VNET input to create: exit 2, one clear line, the host exactly as it was; and a jail root whose /etc
// leads elsewhere through a symlink never gets tsez's rc.conf.d files written through it.
import assert from 'node:assert/strict'
import {mkdir, readFile, symlink, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {useHostileHost} from './support.js'

type Case = [args: string[], message: RegExp]

const ADDRESS = '192.0.2.5/24'

const cases: Case[] = [
  [
    ['create', '--vnet', 'v1', 'em0|192.0.2.5/24'],
    /"em0\|192\.0\.2\.5\/24": a vnet jail's addresses are its own, on epair\d+b; drop the "iface\|"/,
  ],
  [
    ['create', '--vnet', 'v1', '192.0.2.5'],
    /"192\.0\.2\.5": give the prefix length of the jail's network \(as 192\.0\.2\.5\/24\)/,
  ],
  [['create', '--vnet', '--bridge', 'bridge 0', 'v1', ADDRESS], /bridge "bridge 0" is not an interface name/],
  [
    ['create', '--vnet', '--bridge', 'bridge0;reboot', 'v1', ADDRESS],
    /bridge "bridge0;reboot" is not an interface name/,
  ],
  [
    ['create', '--vnet', '--bridge', 'bridge0123456789', 'v1', ADDRESS],
    /bridge "bridge0123456789" is not an interface name .*15 characters at most/,
  ],
  [['create', '--vnet', '--bridge', '$(id)', 'v1', ADDRESS], /bridge "\$\(id\)" is not an interface name/],
  [['create', '--vnet', '--bridge', '', 'v1', ADDRESS], /bridge "" is not an interface name/],
  [
    ['create', '--vnet', '--mac', '01:00:5e:00:00:01', 'v1', ADDRESS],
    /MAC 01:00:5e:00:00:01 is a multicast address; a jail needs unicast/,
  ],
  [['create', '--vnet', '--mac', 'ff:ff:ff:ff:ff:ff', 'v1', ADDRESS], /MAC ff:ff:ff:ff:ff:ff is a multicast address/],
  [
    ['create', '--vnet', '--mac', '02:00:00:00:00', 'v1', ADDRESS],
    /MAC "02:00:00:00:00" is not six hex bytes separated by ":"/,
  ],
  [['create', '--vnet', '--mac', '02:00:00:00:00:zz', 'v1', ADDRESS], /MAC "02:00:00:00:00:zz" is not six hex bytes/],
  [['create', '--vnet', '--mac', '02-00-00-00-00-01', 'v1', ADDRESS], /MAC "02-00-00-00-00-01" is not six hex bytes/],
  [
    ['create', '--vnet', '--mac', '02:00:00:00:00:01\n', 'v1', ADDRESS],
    /MAC "02:00:00:00:00:01\\n" is not six hex bytes/,
  ],
  [
    ['create', '--vnet', '--mac', '00:00:00:00:00:00', 'v1', ADDRESS],
    /MAC 00:00:00:00:00:00 is not an interface address/,
  ],
  [
    ['create', '--vnet', '--gateway', '198.51.100.1', 'v1', ADDRESS],
    /gateway 198\.51\.100\.1 is not in the network of any of the jail's IPv4 addresses/,
  ],
  [['create', '--vnet', '--gateway', '192.0.2.5', 'v1', ADDRESS], /gateway 192\.0\.2\.5 is not in the network/],
  [
    ['create', '--vnet', '--gateway', '2001:db8::1', 'v1', ADDRESS],
    /gateway 2001:db8::1 is not in the network of any of the jail's IPv6 addresses/,
  ],
  [
    ['create', '--vnet', '--gateway', '2001:db9::1', 'v1', '2001:db8::5/64'],
    /gateway 2001:db9::1 is not in the network/,
  ],
  [['create', '--vnet', '--gateway', 'router', 'v1', ADDRESS], /gateway "router" is not a plain IPv4 or IPv6 address/],
  [
    ['create', '--vnet', '--gateway', '192.0.2.1/24', 'v1', ADDRESS],
    /gateway "192\.0\.2\.1\/24" is not a plain IPv4 or IPv6 address/,
  ],
  [
    ['create', '--vnet', '--gateway', '192.0.2.1', '--gateway', '192.0.2.2', 'v1', ADDRESS],
    /more than one IPv4 --gateway/,
  ],
  [['create', '--vnet', 'v1', `${ADDRESS},dhcp`], /dhcp is the whole address list, not mixed with addresses/],
  [['create', '--vnet', 'v1', 'dhcp,dhcp'], /dhcp is the whole address list/],
  [
    ['create', '--vnet', '--gateway', '192.0.2.1', 'v1', 'dhcp'],
    /--gateway with dhcp: the DHCP server gives the default route/,
  ],
  [['create', 'v1', 'dhcp'], /"dhcp" is neither an IPv4 nor an IPv6 address/],
  [['create', '--gateway', '10.0.0.1', 'v1', '10.0.0.9'], /--gateway only with --vnet/],
  [['create', '--bridge', 'bridge0', '--mac', 'auto', 'v1', '10.0.0.9'], /--bridge, --mac only with --vnet/],
  [['create', '--vnet', 'web1', ADDRESS], /a jail named "web1" already exists/],
  [['config', 'web1', '--bridge', 'bridge1'], /--bridge only for a VNET jail: add --vnet/],
  [['config', 'web1', '--gateway', '10.0.0.1'], /--gateway only for a VNET jail: add --vnet/],
  [['config', 'web1', '--no-vnet', '--ip', '10.0.0.5'], /jail web1 is not a VNET jail/],
  [['config', 'web1', '--vnet'], /"10\.0\.0\.5": give the prefix length of the jail's network/],
  [['config', 'web1', '--vnet', '--ip', 'em0|192.0.2.5/24'], /drop the "iface\|"/],
  [
    ['config', 'web1', '--vnet', '--ip', ADDRESS, '--mac', '03:00:00:00:00:01'],
    /MAC 03:00:00:00:00:01 is a multicast address/,
  ],
  [['config', 'web1', '--vnet', '--ip', ADDRESS, '--bridge', 'br;0'], /bridge "br;0" is not an interface name/],
]

describe('hostile: VNET input', function () {
  this.timeout(600_000)
  const hostile = useHostileHost()

  for (const [args, message] of cases) {
    it(`refuses tsez ${JSON.stringify(args)}`, async () => {
      await hostile.refuses(args, {exit: 2, message})
    })
  }

  it('an existing root whose /etc/rc.conf.d is a symlink to a host directory: refused, the host file untouched', async () => {
    const {host} = hostile
    const outside = path.join(host.dirs.jaildir, '..', 'host-rc.conf.d')
    await mkdir(outside, {recursive: true})
    await writeFile(path.join(outside, 'netif'), 'ifconfig_em0="inet 198.51.100.2/24"\n')
    const root = path.join(host.dirs.jaildir, 'own', 'evil')
    await mkdir(path.join(root, 'etc'), {recursive: true})
    await symlink(outside, path.join(root, 'etc', 'rc.conf.d'))
    await hostile.ok(['list']) // the next refusal compares with the host as set up here
    await hostile.refuses(['create', '-x', '-r', root, '--vnet', 'evil', ADDRESS], {
      exit: 2,
      message: /the jail's \/etc\/rc\.conf\.d\/\{netif,routing,dhclient\} are not tsez's .*a symlink on the way/,
    })
    assert.equal(await readFile(path.join(outside, 'netif'), 'utf8'), 'ifconfig_em0="inet 198.51.100.2/24"\n')
  })

  it("an existing root whose rc.conf.d/netif is a symlink to a host file, or its owner's file: refused", async () => {
    const {host} = hostile
    const target = path.join(host.dirs.jaildir, '..', 'host-rc.conf')
    await writeFile(target, 'hostname="host"\n')
    const root = path.join(host.dirs.jaildir, 'own', 'evil2')
    await mkdir(path.join(root, 'etc', 'rc.conf.d'), {recursive: true})
    await symlink(target, path.join(root, 'etc', 'rc.conf.d', 'netif'))
    await hostile.ok(['list'])
    await hostile.refuses(['create', '-x', '-r', root, '--vnet', 'evil2', ADDRESS], {
      exit: 2,
      message: /the jail's \/etc\/rc\.conf\.d\/\{netif\} is not tsez's/,
    })
    assert.equal(await readFile(target, 'utf8'), 'hostname="host"\n')
    const own = path.join(host.dirs.jaildir, 'own', 'evil3')
    await mkdir(path.join(own, 'etc', 'rc.conf.d'), {recursive: true})
    await writeFile(path.join(own, 'etc', 'rc.conf.d', 'routing'), 'defaultrouter="10.0.0.1"\n')
    await hostile.ok(['list'])
    await hostile.refuses(['create', '-x', '-r', own, '--vnet', 'evil3', 'dhcp'], {
      exit: 2,
      message: /the jail's \/etc\/rc\.conf\.d\/\{routing\} is not tsez's/,
    })
  })
})
