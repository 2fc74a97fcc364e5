import assert from 'node:assert/strict'
import {execFile} from 'node:child_process'
import {chmod, lstat, mkdir, readFile, readdir, writeFile} from 'node:fs/promises'
import path from 'node:path'
import {promisify} from 'node:util'

import {parseJailConf} from '../../src/jail/conf-parse.js'
import {tsez} from '../support/cli.js'
import {createInstalledHost, type InstalledHost} from '../support/installed-host.js'
import {diffTrees, snapshotTree} from '../support/tree.js'

const exec = promisify(execFile)
const isRoot = process.getuid?.() === 0

/** 30 IP lists that must all be refused before anything is written. */
const BAD_IP_LISTS = [
  '',
  '10.0.0',
  '10.0.0.256',
  '10.0.0.1.2',
  '010.0.0.1',
  '10.0.0.-1',
  '0.0.0.0',
  '255.255.255.255',
  '224.0.0.1',
  '10.0.0.1/33',
  '10.0.0.1/024',
  '10.0.0.1/255.0.255.0',
  '10.0.0.1,',
  ',10.0.0.1',
  '10.0.0.1,,10.0.0.2',
  '10.0.0.1,em0|',
  '10.0.0.1,10.0.0.1',
  '|10.0.0.1',
  'em0|',
  'em0|lo0|10.0.0.1',
  '0em|10.0.0.1',
  'averyveryverylongifname0|10.0.0.1',
  'fe80::1%em0',
  '::',
  'ff02::1',
  '2001:db8::1::2',
  '2001:db8:::1',
  '[2001:db8::1]',
  '2001:db8::1/129',
  'www.example.com',
  '10.0.0.5;reboot',
]

describe('tsez create', () => {
  let host: InstalledHost
  beforeEach(async function () {
    if (!isRoot) this.skip() // installing and copying keep owners: root only
    host = await createInstalledHost()
  })
  afterEach(async () => host?.cleanup())

  const run = (...args: string[]) => tsez(args, host.env)
  const hostSnapshot = () => snapshotTree(path.join(host.root, 'host'))

  it('makes a faithful copy of the newjail with the flavour over it, and every file a host needs', async () => {
    const result = await run('create', '-f', 'webserver', 'web1', '10.0.0.5')
    assert.equal(result.exitCode, 0, result.stderr)
    assert.match(result.stdout, /^start it with: tsez start web1 {2}\(or jail -f \S+\/web1\.conf -c web1\)$/m)
    const root = path.join(host.dirs.jaildir, 'web1')

    // The copy matches `cp -a newjail`, except for what the flavour laid over it.
    const reference = path.join(host.root, 'cp-a')
    await exec('cp', ['-a', host.dirs.newjail, reference])
    const flavourFiles = new Set(['etc/rc.conf', 'usr/local', 'var/db/tsez'])
    const touched = (rel: string) => [...flavourFiles].some((f) => rel === f || rel.startsWith(`${f}/`))
    const expected = await snapshotTree(reference, {exclude: touched})
    const actual = await snapshotTree(root, {exclude: touched})
    const changedDirs = ['etc', 'usr', 'var/db'].filter((d) => expected.has(d))
    assert.deepEqual(diffTrees(expected, actual, {ignoreMtimeOf: changedDirs}), [])
    const kinds = new Set([...expected.values()].map((e) => e.type))
    assert.ok(kinds.has('symlink') && kinds.has('dir') && kinds.has('file'), 'the newjail has every kind of entry')

    // The flavour: files with their modes, no README, tsez.flavour turned into a first-start script.
    const flavour = path.join(host.dirs.flavours, 'webserver')
    assert.equal(
      await readFile(path.join(root, 'etc/rc.conf'), 'utf8'),
      await readFile(path.join(flavour, 'etc/rc.conf'), 'utf8'),
    )
    const index = await lstat(path.join(root, 'usr/local/www/tsez/index.html'))
    assert.equal(index.mode & 0o7777, (await lstat(path.join(flavour, 'usr/local/www/tsez/index.html'))).mode & 0o7777)
    await assert.rejects(lstat(path.join(root, 'tsez.flavour')), /ENOENT/)
    const script = await lstat(path.join(root, 'var/db/tsez/firstboot/01-webserver'))
    assert.deepEqual([script.mode & 0o7777, script.uid, script.gid], [0o700, 0, 0])

    // jail.conf parses back with every value.
    const conf = await readFile(path.join(host.dirs.jailconf, 'web1.conf'), 'utf8')
    const [jail, ...others] = parseJailConf(conf)
    assert.equal(others.length, 0)
    assert.equal(jail?.name, 'web1')
    const params = Object.fromEntries(jail?.params ?? [])
    assert.deepEqual(params, {
      path: [root],
      'host.hostname': ['web1'],
      'ip4.addr': ['10.0.0.5'],
      ip6: ['disable'],
      'mount.fstab': [path.join(host.dirs.fstab, 'fstab.web1')],
      'mount.devfs': true,
      devfs_ruleset: ['4'],
      'exec.start': ['/bin/sh /etc/rc'],
      'exec.stop': ['/bin/sh /etc/rc.shutdown jail'],
      'exec.clean': true,
      'exec.consolelog': ['/var/log/jail_web1_console.log'],
      enforce_statfs: ['2'],
    })
    const fstab = await readFile(path.join(host.dirs.fstab, 'fstab.web1'), 'utf8')
    assert.match(fstab, new RegExp(`^${host.dirs.basejail}\\t${root}/basejail\\tnullfs\\tro\\t0\\t0$`, 'm'))
    const record = JSON.parse(await readFile(path.join(host.dirs.confdir, 'web1.json'), 'utf8')) as Record<
      string,
      unknown
    >
    assert.deepEqual(
      [record.name, record.hostname, record.root, record.addresses, record.flavours, record.run, record.release],
      ['web1', 'web1', root, ['10.0.0.5'], ['webserver'], true, '14.3-RELEASE'],
    )

    // `jail -f CONF -c NAME` is all a host needs.
    await exec('jail', ['-f', path.join(host.dirs.jailconf, 'web1.conf'), '-c', 'web1'], {env: host.env})
    assert.deepEqual(
      host.fake.jails().map((j) => [j.name, j.path, j.ip4]),
      [['web1', root, ['10.0.0.5']]],
    )
    assert.ok(host.fake.mounts().some((m) => m.mountPoint === `${root}/basejail` && m.options === 'ro'))
    assert.deepEqual(await readdir(host.dirs.jaildir).then((d) => d.filter((n) => n.startsWith('.'))), [])
  })

  it('maps a hostname to a jail name and keeps the hostname; -r relative and --norun', async () => {
    const result = await run('create', '--norun', '-r', 'sites/www', 'www.example.com', 'em0|192.0.2.10/24,fd00::10')
    assert.equal(result.exitCode, 0, result.stderr)
    const root = path.join(host.dirs.jaildir, 'sites/www')
    assert.ok((await lstat(path.join(root, 'etc'))).isDirectory())
    const [jail] = parseJailConf(await readFile(path.join(host.dirs.jailconf, 'www_example_com.conf'), 'utf8'))
    assert.deepEqual(jail?.params.get('host.hostname'), ['www.example.com'])
    assert.deepEqual(jail?.params.get('ip4.addr'), ['em0|192.0.2.10/24'])
    assert.deepEqual(jail?.params.get('ip6.addr'), ['fd00::10'])
    assert.deepEqual(jail?.params.get('path'), [root])
    const record = JSON.parse(await readFile(path.join(host.dirs.confdir, 'www_example_com.json'), 'utf8')) as {
      run: boolean
    }
    assert.equal(record.run, false)
    const again = await run('create', 'www-example.com', '10.0.0.9')
    assert.equal(again.exitCode, 2)
    assert.match(again.stderr, /www_example_com/)
  })

  it('refuses at least 25 bad IP lists with exit 2, naming the rule, and writes nothing', async () => {
    assert.ok(BAD_IP_LISTS.length >= 25)
    const before = await hostSnapshot()
    for (const list of BAD_IP_LISTS) {
      const result = await run('create', 'web1', list)
      assert.equal(result.exitCode, 2, `${JSON.stringify(list)} was accepted: ${result.stdout}`)
      // oclif may refuse an empty argument as missing before tsez sees it; every other list reaches tsez's rules, whose one
      // line quotes the list or the element that breaks a rule.
      if (list === '') assert.match(result.stderr, /Missing 1 required arg|IP list is empty/)
      else {
        const quoted = [list, ...list.split(',')].map((text) => JSON.stringify(text))
        assert.ok(
          quoted.some((q) => result.stderr.includes(q)),
          `${list}: ${result.stderr}`,
        )
        assert.equal(result.stderr.trim().split('\n').length, 1)
      }
    }
    assert.deepEqual(diffTrees(before, await hostSnapshot()), [])
  })

  it('refuses bad names with exit 2 naming the rule, and writes nothing', async () => {
    const before = await hostSnapshot()
    const cases: Array<[string, RegExp]> = [
      ['basejail', /reserved/],
      ['12345', /all digits/],
      ['-web', /option/],
      ['web$1', /contains "\$"/],
      ['a'.repeat(201), /limit is 200/],
      ['www..example.com', /empty label/],
    ]
    for (const [name, rule] of cases) {
      const result = await run('create', '--', name, '10.0.0.5')
      assert.equal(result.exitCode, 2, name)
      assert.match(result.stderr, rule)
    }
    assert.deepEqual(diffTrees(before, await hostSnapshot()), [])
  })

  it('applies flavours in order, the default flavour without -f, and refuses an unknown one listing the others', async () => {
    for (const [name, body] of [
      ['one', 'first\n'],
      ['two', 'second\n'],
    ] as const) {
      await mkdir(path.join(host.dirs.flavours, name, 'etc'), {recursive: true})
      await writeFile(path.join(host.dirs.flavours, name, 'etc/motd.flavour'), body)
      await writeFile(path.join(host.dirs.flavours, name, 'ezjail.flavour'), '#!/bin/sh\n')
      await chmod(path.join(host.dirs.flavours, name, 'ezjail.flavour'), 0o755)
    }
    assert.equal((await run('create', '-f', 'one', '-f', 'two', 'a1', '10.0.0.11')).exitCode, 0)
    const a1 = path.join(host.dirs.jaildir, 'a1')
    assert.equal(await readFile(path.join(a1, 'etc/motd.flavour'), 'utf8'), 'second\n')
    assert.deepEqual(await readdir(path.join(a1, 'var/db/tsez/firstboot')), ['01-one', '02-two'])

    await writeFile(host.configFile, `${await readFile(host.configFile, 'utf8')}tsez_default_flavour="two"\n`)
    assert.equal((await run('create', 'a2', '10.0.0.12')).exitCode, 0)
    assert.equal(await readFile(path.join(host.dirs.jaildir, 'a2/etc/motd.flavour'), 'utf8'), 'second\n')

    const before = await hostSnapshot()
    const unknown = await run('create', '-f', 'one', '-f', 'nosuch', 'a3', '10.0.0.13')
    assert.equal(unknown.exitCode, 2)
    assert.match(unknown.stderr, /unknown flavour nosuch.*available: default, example, one, two, webserver/)
    assert.deepEqual(diffTrees(before, await hostSnapshot()), [])
  })

  it('-x writes only the configuration of an existing root', async () => {
    const root = path.join(host.root, 'elsewhere/old')
    await mkdir(path.join(root, 'basejail'), {recursive: true})
    await writeFile(path.join(root, 'keep'), 'mine\n')
    const result = await run('create', '--json', '-x', '-r', root, 'old', '10.0.0.20')
    assert.equal(result.exitCode, 0, result.stderr)
    const json = JSON.parse(result.stdout) as {jail: {name: string; root: string; flavours: string[]}; dryRun: boolean}
    assert.deepEqual([json.jail.name, json.jail.root, json.jail.flavours, json.dryRun], ['old', root, [], false])
    assert.deepEqual((await readdir(root)).sort(), ['basejail', 'keep'])
    assert.match(await readFile(path.join(host.dirs.fstab, 'fstab.old'), 'utf8'), new RegExp(`${root}/basejail`))
    assert.equal((await run('create', '-x', 'missing', '10.0.0.21')).exitCode, 2)
  })

  it('--dry-run prints the plan and changes nothing', async () => {
    const before = await hostSnapshot()
    const result = await run('create', '-n', '-f', 'webserver', 'web1', '10.0.0.5')
    assert.equal(result.exitCode, 0, result.stderr)
    assert.match(result.stdout, /^copy .*newjail -> .*\.tsez-create-web1\./m)
    assert.match(result.stdout, /^write .*fstab\.web1$/m)
    assert.match(result.stdout, /^write .*web1\.json \(commit\)$/m)
    assert.deepEqual(diffTrees(before, await hostSnapshot()), [])
  })

  it('leaves no trace when a flavour cannot be copied', async () => {
    await mkdir(path.join(host.dirs.flavours, 'broken/etc'), {recursive: true})
    await exec('mkfifo', [path.join(host.dirs.flavours, 'broken/etc/fifo')])
    const before = await hostSnapshot()
    const result = await run('create', '-f', 'broken', 'web1', '10.0.0.5')
    assert.equal(result.exitCode, 1)
    assert.match(result.stderr, /flavour broken.*FIFO/)
    const changed = [host.dirs.jaildir, host.dirs.confdir, host.dirs.jailconf, host.dirs.fstab, host.dirs.dbdir]
    const rel = changed.map((d) => path.relative(path.join(host.root, 'host'), d))
    // What stays is not the jail's: the template's etcupdate state and the cached stock /etc, both complete.
    const template = path.relative(path.join(host.root, 'host'), path.join(host.dirs.newjail, 'var/db'))
    const kept = [`${template}/etcupdate`, path.relative(path.join(host.root, 'host'), `${host.dirs.dbdir}/etcupdate`)]
    const added = diffTrees(before, await hostSnapshot(), {ignoreMtimeOf: [...rel, template]})
    assert.deepEqual(
      added.filter((line) => !kept.some((dir) => line.startsWith(`${dir}: `) || line.startsWith(`${dir}/`))),
      [],
    )
    assert.ok((await lstat(path.join(host.dirs.newjail, 'var/db/etcupdate/current'))).isDirectory())
  })

  it('records the template etcupdate state once, so every jail starts with it', async () => {
    for (const [name, ip] of [
      ['web1', '10.0.0.5'],
      ['web2', '10.0.0.6'],
    ]) {
      const result = await run('create', name!, ip!)
      assert.equal(result.exitCode, 0, result.stderr)
      assert.ok((await lstat(path.join(host.dirs.jaildir, name!, 'var/db/etcupdate/current'))).isDirectory())
    }
    const tarball = path.join(host.dirs.dbdir, 'etcupdate/etc-14.3-RELEASE.tbz')
    assert.deepEqual(host.fake.calls('etcupdate'), [['etcupdate', 'extract', '-D', host.dirs.newjail, '-t', tarball]])
    const {stdout} = await exec('tar', ['-tjf', tarball])
    assert.match(stdout, /^\.\/etc\/rc\.conf$|^\.\/etc\/hosts$/m, 'the stock /etc of the release')
    assert.ok((await lstat(path.join(host.dirs.newjail, 'var/db/etcupdate/current'))).isDirectory())
  })

  it('creates the jail with a warning when the stock /etc cannot be had', async () => {
    host.fake.set('etcupdate.fail', 'extract')
    const result = await run('create', 'web1', '10.0.0.5')
    assert.equal(result.exitCode, 0, result.stderr)
    assert.match(result.stderr, /etcupdate state for 14\.3-RELEASE could not be recorded.*update -U will record/)
    assert.equal((await lstat(path.join(host.dirs.jaildir, 'web1/etc'))).isDirectory(), true)
    await assert.rejects(lstat(path.join(host.dirs.newjail, 'var/db/etcupdate/current')), /ENOENT/)
    host.fake.unset('etcupdate.fail')
    assert.equal((await run('create', 'web2', '10.0.0.6')).exitCode, 0)
    assert.ok((await lstat(path.join(host.dirs.jaildir, 'web2/var/db/etcupdate/current'))).isDirectory())
  })
})
