// tsez create --vnet end to end on the fake host: the exact jail.conf and rc.conf.d files, and what start and stop run.
import {execFile} from 'node:child_process'
import {promisify} from 'node:util'
import assert from 'node:assert/strict'
import {readFile} from 'node:fs/promises'
import path from 'node:path'

import {parseJailConf} from '../../src/jail/conf-parse.js'
import {derivedMac} from '../../src/jail/vnet.js'
import {tsez} from '../support/cli.js'
import {createInstalledHost, type InstalledHost} from '../support/installed-host.js'

const execFileAsync = promisify(execFile)

describe('tsez create --vnet', function () {
  this.timeout(120_000)
  let host: InstalledHost

  beforeEach(async () => {
    host = await createInstalledHost()
  })
  afterEach(async () => {
    await host.cleanup()
  })

  const run = async (...args: string[]) => {
    const result = await tsez(args, host.env)
    assert.equal(result.exitCode, 0, `${args.join(' ')}: ${result.stderr}`)
    return result
  }
  const conf = (name: string) => readFile(path.join(host.config.jailconfDir, `${name}.conf`), 'utf8')
  const rc = (name: string, file: string) =>
    readFile(path.join(host.config.jaildir, name, 'etc/rc.conf.d', file), 'utf8').catch(() => undefined)
  const ifconfigCalls = () => host.fake.calls('ifconfig').map((argv) => argv.slice(1).join(' '))

  const prestart = (unit: number, mac: string, bridge = 'bridge0') =>
    `\texec.prestart = "ifconfig ${bridge} >/dev/null 2>&1 || { ifconfig ${bridge} create >/dev/null && ` +
    `ifconfig ${bridge} up; }", "ifconfig epair${unit}b 2>/dev/null | grep -qw ${mac} && ifconfig epair${unit}a destroy || true", ` +
    `"ifconfig epair${unit} create >/dev/null && { ifconfig epair${unit}b ether ${mac} && ` +
    `ifconfig ${bridge} addm epair${unit}a && ifconfig epair${unit}a up || { ifconfig epair${unit}a destroy; false; }; }";\n`
  const poststop = (unit: number) =>
    `\texec.poststop = "ifconfig epair${unit}a >/dev/null 2>&1 && ifconfig epair${unit}a destroy || true";\n`

  it('a static IPv4 + IPv6 jail: vnet, its epair and the rc.conf.d files, valid jail.conf', async () => {
    await run(
      'create',
      '--vnet',
      '--gateway',
      '192.0.2.1',
      '--gateway',
      '2001:db8::1',
      'web',
      '192.0.2.20/24,2001:db8::20/64,192.0.2.21/24',
    )
    const mac = derivedMac('web')
    const root = path.join(host.config.jaildir, 'web')
    const text = await conf('web')
    assert.equal(
      text,
      '# Jail web, written by tsez: `tsez config web` rewrites this file.\nweb {\n' +
        `\tpath = "${root}";\n\thost.hostname = "web";\n` +
        `\tmount.fstab = "${path.join(host.config.fstabDir, 'fstab.web')}";\n` +
        '\tmount.devfs;\n\tdevfs_ruleset = 4;\n\texec.start = "/bin/sh /etc/rc";\n' +
        '\texec.stop = "/bin/sh /etc/rc.shutdown jail";\n\texec.clean;\n' +
        '\texec.consolelog = "/var/log/jail_web_console.log";\n\tenforce_statfs = 2;\n' +
        '\tvnet = new;\n\tvnet.interface = "epair0b";\n' +
        prestart(0, mac) +
        poststop(0) +
        '}\n',
    )
    const [parsed] = parseJailConf(text)
    assert.deepEqual(
      [parsed?.name, parsed?.params.get('vnet'), parsed?.params.get('vnet.interface')],
      ['web', ['new'], ['epair0b']],
    )
    assert.deepEqual(parsed?.params.get('exec.prestart'), [
      'ifconfig bridge0 >/dev/null 2>&1 || { ifconfig bridge0 create >/dev/null && ifconfig bridge0 up; }',
      `ifconfig epair0b 2>/dev/null | grep -qw ${mac} && ifconfig epair0a destroy || true`,
      `ifconfig epair0 create >/dev/null && { ifconfig epair0b ether ${mac} && ifconfig bridge0 addm epair0a && ` +
        'ifconfig epair0a up || { ifconfig epair0a destroy; false; }; }',
    ])
    assert.deepEqual(parsed?.params.get('exec.poststop'), [
      'ifconfig epair0a >/dev/null 2>&1 && ifconfig epair0a destroy || true',
    ])
    const header = '# Jail web, written by tsez for its VNET interface: `tsez config web` rewrites this file.\n'
    assert.equal(
      await rc('web', 'netif'),
      header +
        'ifconfig_epair0b="inet 192.0.2.20/24"\nifconfig_epair0b_ipv6="inet6 2001:db8::20/64"\n' +
        'ifconfig_epair0b_alias0="inet 192.0.2.21/24"\n',
    )
    assert.equal(await rc('web', 'routing'), header + 'defaultrouter="192.0.2.1"\nipv6_defaultrouter="2001:db8::1"\n')
    assert.equal(await rc('web', 'dhclient'), undefined)
    const record = JSON.parse(await readFile(path.join(host.config.confdir, 'web.json'), 'utf8')) as Record<
      string,
      unknown
    >
    assert.deepEqual(
      [record['addresses'], record['vnet']],
      [
        [],
        {
          epair: 0,
          bridge: 'bridge0',
          mac,
          addresses: ['192.0.2.20/24', '2001:db8::20/64', '192.0.2.21/24'],
          dhcp: false,
          gateway4: '192.0.2.1',
          gateway6: '2001:db8::1',
        },
      ],
    )
  })

  it('a dhcp jail on another bridge with a given MAC; two jails never share an epair', async () => {
    await run('create', '--vnet', 'web', '192.0.2.20/24')
    await run('create', '--vnet', '--bridge', 'bridge7', '--mac', '02:AA:bb:cc:dd:ee', 'db', 'dhcp')
    const text = await conf('db')
    assert.ok(text.includes('\tvnet.interface = "epair1b";\n'), text)
    assert.ok(text.includes(prestart(1, '02:aa:bb:cc:dd:ee', 'bridge7')), text)
    assert.ok(text.includes(poststop(1)), text)
    assert.deepEqual(parseJailConf(text)[0]?.params.get('vnet.interface'), ['epair1b'])
    const header = '# Jail db, written by tsez for its VNET interface: `tsez config db` rewrites this file.\n'
    assert.equal(await rc('db', 'netif'), header + 'ifconfig_epair1b="SYNCDHCP"\n')
    assert.equal(await rc('db', 'dhclient'), header + 'ifconfig_epair1b="SYNCDHCP"\n')
    assert.equal(await rc('db', 'routing'), undefined)
    // A unit the host already uses (another tool's epair) is skipped too.
    host.fake.set('ifconfig.table', 'lo0\nem0\nepair2a\nepair2b\n')
    await run('create', '--vnet', 'mail', 'dhcp')
    assert.ok((await conf('mail')).includes('\tvnet.interface = "epair3b";\n'))
  })

  it('start makes the bridge and the epair and hands it to the jail; stop destroys it', async () => {
    await run('create', '--vnet', '--gateway', '192.0.2.1', 'web', '192.0.2.20/24')
    const mac = derivedMac('web')
    await run('start', 'web')
    assert.deepEqual(ifconfigCalls().slice(-9), [
      'bridge0',
      'bridge0 create',
      'bridge0 up',
      'epair0b',
      'epair0 create',
      `epair0b ether ${mac}`,
      'bridge0 addm epair0a',
      'epair0a up',
      'epair0b vnet web',
    ])
    assert.match((await run('list')).stdout, /^DR +\d+ +192\.0\.2\.20\/24 +web /m)
    await run('stop', 'web')
    assert.deepEqual(ifconfigCalls().slice(-2), ['epair0a', 'epair0a destroy'])
    assert.deepEqual(
      host.fake
        .read('ifconfig.table')
        ?.split('\n')
        .filter((l) => l.startsWith('epair')),
      [],
    )
  })

  it("list shows a running dhcp jail's addresses from inside it, a stopped one's as none", async () => {
    await run('create', '--vnet', 'db', 'dhcp')
    assert.match((await run('list')).stdout, /^DS +N\/A +- +db /m)
    await run('start', 'db')
    host.fake.set(
      'jexec.stdout',
      'epair0b: flags=8843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST> metric 0 mtu 1500\n' +
        '\tinet 192.0.2.77 netmask 0xffffff00 broadcast 192.0.2.255\n\tinet6 fe80::1%epair0b prefixlen 64 scopeid 0x2\n' +
        '\tinet6 2001:db8::77 prefixlen 64\n',
    )
    assert.match((await run('list')).stdout, /^DR +\d+ +192\.0\.2\.77,2001:db8::77 +db /m)
    assert.deepEqual(host.fake.calls('jexec').slice(-1), [['jexec', 'db', 'ifconfig', 'epair0b']])
  })

  it('a failed start leaves no epair: the prestart command undoes itself', async () => {
    await run('create', '--vnet', 'web', '192.0.2.20/24')
    host.fake.set('ifconfig.fail.addm', 'BRDGADD epair0a: Device busy')
    const started = await tsez(['start', 'web'], host.env)
    assert.equal(started.exitCode, 1)
    host.fake.unset('ifconfig.fail.addm')
    const interfaces = (await readFile(path.join(host.fake.stateDir, 'ifconfig.table'), 'utf8')).split('\n')
    assert.deepEqual(
      interfaces.filter((line) => line.startsWith('epair')),
      [],
    )
    assert.deepEqual(host.fake.jails(), [])
  })

  it("jail(8) failing after exec.prestart: tsez start destroys the epair, never another tool's of that unit", async () => {
    await run('create', '--vnet', 'web', '192.0.2.20/24')
    host.fake.set('jail.refuse.web', 'jail: web: jail_set: Cannot allocate memory\n')
    assert.equal((await tsez(['start', 'web'], host.env)).exitCode, 1)
    const epairs = () => (host.fake.read('ifconfig.table') ?? '').split('\n').filter((l) => l.startsWith('epair'))
    assert.deepEqual(epairs(), [])
    host.fake.unset('jail.refuse.web')
    // Another tool took unit 0 since: the creation fails on it, and its epair stays.
    host.fake.set('ifconfig.table', 'lo0\nem0\nepair0a\nepair0b\n')
    host.fake.set('ifconfig.attrs', 'epair0b\tether\t02:00:00:00:00:99\n')
    const started = await tsez(['start', 'web'], host.env)
    assert.equal(started.exitCode, 1)
    assert.match(started.stderr, /File exists/)
    assert.deepEqual(epairs(), ['epair0a', 'epair0b'])
  })

  it('jail(8) failing after exec.prestart, then jail -c alone (service jail start): the stale epair is replaced', async () => {
    await run('create', '--vnet', 'web', '192.0.2.20/24')
    const confFile = path.join(host.config.jailconfDir, 'web.conf')
    const jail = (...args: string[]) => execFileAsync('jail', args, {env: {...process.env, ...host.env}})
    host.fake.set('jail.refuse.web', 'jail: web: jail_set: Cannot allocate memory\n')
    await assert.rejects(jail('-f', confFile, '-c', 'web'), /Cannot allocate memory/)
    const epairs = () => (host.fake.read('ifconfig.table') ?? '').split('\n').filter((l) => l.startsWith('epair'))
    assert.deepEqual(epairs(), ['epair0a', 'epair0b'], 'jail(8) ran no exec.poststop: the epair outlived the attempt')
    host.fake.unset('jail.refuse.web')
    const before = ifconfigCalls().length
    await jail('-f', confFile, '-c', 'web')
    assert.deepEqual(
      ifconfigCalls().slice(before, before + 4),
      ['bridge0', 'epair0b', 'epair0a destroy', 'epair0 create'],
      'the stale epair (its jail side has the jail MAC) is destroyed before a new one is made',
    )
    assert.match((await tsez(['list'], host.env)).stdout, /^DR +\d+ +192\.0\.2\.20\/24 +web /m)
    await jail('-f', confFile, '-r', 'web')
    assert.deepEqual(epairs(), [])
  })

  it('config --vnet turns a jail VNET, changes its addresses and gateway, and --no-vnet puts it back', async () => {
    await run('create', 'web', '10.0.0.5')
    await run('config', 'web', '--vnet', '--ip', '192.0.2.20/24', '--gateway', '192.0.2.1')
    assert.ok((await conf('web')).includes('\tvnet = new;\n\tvnet.interface = "epair0b";\n'))
    assert.ok(!(await conf('web')).includes('ip4'))
    assert.match((await rc('web', 'netif')) ?? '', /\nifconfig_epair0b="inet 192\.0\.2\.20\/24"\n$/)
    assert.match((await rc('web', 'routing')) ?? '', /\ndefaultrouter="192\.0\.2\.1"\n$/)
    await run('config', 'web', '--ip', 'dhcp')
    assert.match((await rc('web', 'netif')) ?? '', /\nifconfig_epair0b="SYNCDHCP"\n$/)
    assert.equal(await rc('web', 'routing'), undefined)
    await run('config', 'web', '--ip', '198.51.100.7/24', '--gateway', '198.51.100.1', '--bridge', 'bridge3')
    assert.ok((await conf('web')).includes('ifconfig bridge3 addm epair0a'))
    assert.match((await rc('web', 'routing')) ?? '', /\ndefaultrouter="198\.51\.100\.1"\n$/)
    const refused = await tsez(['config', 'web', '--ip', '203.0.113.9/24'], host.env)
    assert.equal(refused.exitCode, 2)
    assert.match(refused.stderr, /gateway 198\.51\.100\.1 is not in the network/)
    await run('config', 'web', '--no-vnet', '--ip', 'em0|10.0.0.5')
    assert.ok((await conf('web')).includes('\tip4.addr = "em0|10.0.0.5";\n'))
    assert.ok(!(await conf('web')).includes('vnet'))
    assert.deepEqual(
      [await rc('web', 'netif'), await rc('web', 'routing'), await rc('web', 'dhclient')],
      [undefined, undefined, undefined],
    )
  })
})
