import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {chmod, chown, link, lstat, mkdir, readFile, readdir, readlink, rm, symlink, writeFile} from 'node:fs/promises'
import path from 'node:path'

import type {CloneResult} from '../../src/clone/service.js'
import type {ListResult} from '../../src/list/service.js'
import {tsez, tsezOk} from '../support/cli.js'
import {fakeFlagsUnder, setFakeFlags} from '../support/fake-flags.js'
import {createInstalledHost, type InstalledHost} from '../support/installed-host.js'
import {diffTrees, snapshotTree} from '../support/tree.js'

const isRoot = process.getuid?.() === 0

describe('tsez clone (UFS)', () => {
  let host: InstalledHost
  before(async function () {
    if (!isRoot) this.skip()
    this.timeout(120_000)
    host = await createInstalledHost()
  })
  after(async () => host?.cleanup())

  const ok = (args: string[]) => tsezOk(args, host.env)
  const refused = async (args: string[], pattern: RegExp) => {
    const result = await tsez(args, host.env)
    assert.equal(result.exitCode, 2, `${args.join(' ')}: ${result.stdout}${result.stderr}`)
    assert.match(result.stderr, /^tsez: [^\n]*\n$/)
    assert.match(result.stderr, pattern)
    return result
  }
  const listed = async () => (JSON.parse((await ok(['list', '--json'])).stdout) as ListResult).jails
  const hidden = async () => (await readdir(host.dirs.jaildir)).filter((name) => name.startsWith('.'))

  it("copies the stopped tree faithfully; name, hostname, addresses, conf and fstab are the clone's own", async function () {
    this.timeout(120_000)
    await ok(['create', '-f', 'webserver', 'web1.example.org', 'lo1|10.0.2.1'])
    const root = path.join(host.dirs.jaildir, 'web1_example_org')
    await mkdir(path.join(root, 'usr/local/www'), {recursive: true})
    await writeFile(path.join(root, 'usr/local/www/index.html'), '<h1>hi</h1>\n')
    await link(path.join(root, 'usr/local/www/index.html'), path.join(root, 'usr/local/www/hard.html'))
    await symlink('/etc/master.passwd', path.join(root, 'abs-link'))
    await writeFile(path.join(root, 'suid'), '#!/bin/sh\n')
    await chown(path.join(root, 'suid'), 0, 5)
    await chmod(path.join(root, 'suid'), 0o4750)
    await rm(path.join(root, 'etc/rc.conf'), {force: true})
    const before = await snapshotTree(root)

    const cloned = await ok(['clone', '--json', 'web1.example.org', 'web2', '10.0.2.2'])
    const result = JSON.parse(cloned.stdout) as CloneResult
    assert.equal(result.source, 'web1_example_org')
    assert.equal(result.jail.hostname, 'web2')
    assert.deepEqual(result.jail.addresses, ['10.0.2.2'])
    assert.deepEqual(result.jail.flavours, ['webserver'])
    const copy = path.join(host.dirs.jaildir, 'web2')
    const expected = new Map([...before].filter(([rel]) => !rel.startsWith('var/db/tsez/firstboot')))
    assert.deepEqual(diffTrees(expected, await snapshotTree(copy)), [])
    assert.deepEqual(diffTrees(before, await snapshotTree(root)), [], 'the source is untouched')
    assert.ok(
      [...before.keys()].some((rel) => rel.startsWith('var/db/tsez/firstboot/')),
      'a pending script',
    )

    const conf = await readFile(path.join(host.dirs.jailconf, 'web2.conf'), 'utf8')
    assert.match(conf, /host\.hostname = "?web2"?;/)
    assert.match(conf, /10\.0\.2\.2/)
    assert.doesNotMatch(conf, /10\.0\.2\.1|web1/)
    const fstab = await readFile(path.join(host.dirs.fstab, 'fstab.web2'), 'utf8')
    assert.ok(fstab.includes(`${copy}/basejail`), fstab)
    assert.doesNotMatch(fstab, /web1/)
    const web2 = (await listed()).find((jail) => jail.name === 'web2')
    assert.equal(web2?.root, copy)
    assert.deepEqual(await hidden(), [])
    await ok(['start', 'web2'])
    await ok(['stop', 'web2'])

    const named = await ok(['clone', '--hostname', 'www3.example.org', 'web2', 'web3', 'lo1|10.0.2.3/32'])
    assert.match(named.stdout, /cloned web2 to jail web3 \(www3\.example\.org\) at /)
  })

  it('keeps file flags, FIFOs, hard links and symlinks: the clone is the same tree, flags included', async function () {
    this.timeout(60_000)
    await ok(['create', 'flag1', '10.0.5.1'])
    const root = path.join(host.dirs.jaildir, 'flag1')
    await writeFile(path.join(root, 'etc/immutable.conf'), 'schg\n')
    await mkdir(path.join(root, 'var/log'), {recursive: true})
    await writeFile(path.join(root, 'var/log/append.log'), 'line\n')
    await writeFile(path.join(root, 'etc/pair-a'), 'linked\n')
    await link(path.join(root, 'etc/pair-a'), path.join(root, 'etc/pair-b'))
    await symlink('../etc/pair-a', path.join(root, 'var/to-pair'))
    execFileSync('mkfifo', ['-m', '0620', path.join(root, 'var/run-fifo')])
    await chown(path.join(root, 'var/run-fifo'), 0, 5)
    setFakeFlags(host.fake, 'schg', path.join(root, 'etc/immutable.conf'), path.join(root, 'etc/pair-a'))
    setFakeFlags(host.fake, 'uappnd,nodump', path.join(root, 'var/log/append.log'), path.join(root, 'var/log'))
    const flags = fakeFlagsUnder(host.fake, root)
    assert.equal(Object.keys(flags).length, 4)
    const before = await snapshotTree(root)

    await ok(['clone', 'flag1', 'flag2', '10.0.5.2'])
    const copy = path.join(host.dirs.jaildir, 'flag2')
    const expected = new Map([...before].filter(([rel]) => !rel.startsWith('var/db/tsez/firstboot')))
    assert.deepEqual(diffTrees(expected, await snapshotTree(copy)), [])
    assert.equal(before.get('var/run-fifo')?.type, 'other')
    assert.ok((await lstat(path.join(copy, 'var/run-fifo'))).isFIFO())
    assert.equal(await readlink(path.join(copy, 'var/to-pair')), '../etc/pair-a')
    assert.deepEqual(fakeFlagsUnder(host.fake, copy), flags)
    assert.deepEqual(fakeFlagsUnder(host.fake, root), flags, 'the source keeps its flags')
    assert.deepEqual(await hidden(), [])
  })

  it('--dry-run prints the steps and changes nothing', async function () {
    this.timeout(60_000)
    await ok(['create', 'db1', '10.0.3.1'])
    const dry = await ok(['clone', '-n', 'db1', 'db2', '10.0.3.2'])
    assert.match(dry.stdout, /^write .*create-db2\.json \(create journal\)\nrun find -x .*db1 ! -flags 0/)
    assert.match(dry.stdout, /\ncopy .*db1 -> .*\.tsez-clone-db2\./)
    assert.match(dry.stdout, /\nrun chflags -h FLAGS PATH\.\.\. with the source's flags\n/)
    assert.match(dry.stdout, /write .*db2\.json \(commit\)/)
    // The source's state comes from one jls; the jail objects' state, only with --json, from one more.
    const asked = host.fake.calls('jls').length
    await ok(['clone', '-n', 'db1', 'db2', '10.0.3.2'])
    const plain = host.fake.calls('jls').length - asked
    const json = JSON.parse((await ok(['clone', '-n', '--json', 'db1', 'db2', '10.0.3.2'])).stdout) as CloneResult
    assert.equal(json.jail.name, 'db2')
    assert.equal(host.fake.calls('jls').length - asked - plain, plain + 1)
    assert.equal(
      (await listed()).some((jail) => jail.name === 'db2'),
      false,
    )
    assert.deepEqual(await hidden(), [])
  })

  it('refuses a running source, an unknown one, a taken name or address, and bad input; nothing written', async function () {
    this.timeout(60_000)
    await ok(['create', 'app1', '10.0.4.1'])
    await ok(['create', 'app2', '10.0.4.2'])
    const jails = await listed()
    await ok(['start', 'app1'])
    await refused(['clone', 'app1', 'app3', '10.0.4.3'], /jail app1 is running: stop it first \(tsez stop app1\)/)
    await ok(['stop', 'app1'])
    await refused(['clone', 'nope', 'app3', '10.0.4.3'], /no jail named "nope"/)
    await refused(['clone', 'app1', 'app2', '10.0.4.3'], /app2/)
    await refused(['clone', 'app1', 'app3', '10.0.4.2'], /10\.0\.4\.2 is in use by jail app2/)
    await refused(['clone', 'app1', 'basejail', '10.0.4.3'], /basejail/)
    await refused(['clone', 'app1', 'bad\u001b[31mname', '10.0.4.3'], /bad\\x1b\[31mname|bad\\u001b/)
    await refused(['clone', 'app1', 'app3', '999.1.1.1'], /999\.1\.1\.1/)
    await refused(['clone', 'app1', 'app3', '10.0.4.3', '--hostname', 'a b'], /--hostname/)
    await mkdir(path.join(host.dirs.jaildir, 'app4'))
    await refused(['clone', 'app1', 'app4', '10.0.4.4'], /root directory .*app4 exists already/)
    await rm(path.join(host.dirs.jaildir, 'app4'), {recursive: true})
    assert.deepEqual(await listed(), jails)
    assert.deepEqual(await hidden(), [])
  })
})
