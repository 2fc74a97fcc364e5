import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {chmod, chown, link, mkdir, readdir, rm, symlink, writeFile} from 'node:fs/promises'
import path from 'node:path'

import type {ArchiveResult} from '../../src/archive/service.js'
import type {ListResult} from '../../src/list/service.js'
import {tsez} from '../support/cli.js'
import {createInstalledHost, type InstalledHost} from '../support/installed-host.js'
import {fakeFlagsUnder, setFakeFlags} from '../support/fake-flags.js'
import {diffTrees, snapshotTree} from '../support/tree.js'

const isRoot = process.getuid?.() === 0

describe('tsez restore', () => {
  let host: InstalledHost
  before(async function () {
    if (!isRoot) this.skip()
    this.timeout(120_000)
    host = await createInstalledHost()
  })
  after(async () => host?.cleanup())

  const ok = async (args: string[]) => {
    const result = await tsez(args, host.env)
    assert.equal(result.exitCode, 0, `${args.join(' ')}: ${result.stderr}`)
    return result
  }
  const listed = async () => (JSON.parse((await ok(['list', '--json'])).stdout) as ListResult).jails

  it('round trip: create -f webserver, change files (a FIFO, file flags too), archive, delete -w, restore: the same tree, flags and list', async function () {
    this.timeout(120_000)
    await ok(['create', '-f', 'webserver', 'web1', '10.0.0.5'])
    const root = path.join(host.dirs.jaildir, 'web1')
    const data = path.join(root, 'usr/local/www/data')
    await mkdir(data, {recursive: true})
    await writeFile(path.join(data, 'index.html'), '<h1>hello</h1>\n')
    await writeFile(path.join(root, 'etc/motd.template'), 'changed\n')
    await rm(path.join(root, 'etc/rc.conf'), {force: true})
    await link(path.join(data, 'index.html'), path.join(data, 'hard-link.html'))
    await link(path.join(data, 'index.html'), path.join(root, 'root-hard-link'))
    await symlink('/etc/master.passwd', path.join(root, 'abs-link'))
    await symlink('../../../../etc', path.join(data, 'climbing-link'))
    await writeFile(path.join(root, 'usr/local/bin-suid'), '#!/bin/sh\n')
    await chown(path.join(root, 'usr/local/bin-suid'), 0, 5)
    await chmod(path.join(root, 'usr/local/bin-suid'), 0o4750)
    await mkdir(path.join(root, 'home/user with space'), {recursive: true})
    await chown(path.join(root, 'home/user with space'), 1001, 1001)
    await chmod(path.join(root, 'home/user with space'), 0o1770)
    for (const odd of ['-rf', 'new\nline', 'tab\there', 'ünïcødé', '.hidden', 'x'.repeat(200), 'quote\'"$(touch)']) {
      await writeFile(path.join(root, 'home/user with space', odd), `${odd}\n`)
    }
    let deep = path.join(root, 'var/deep')
    for (let i = 0; i < 30; i++) deep = path.join(deep, `level-${i}-${'d'.repeat(20)}`)
    await mkdir(deep, {recursive: true})
    await writeFile(path.join(deep, 'bottom'), 'deep\n')
    execFileSync('mkfifo', ['-m', '0620', path.join(root, 'var/run-fifo')])
    await chown(path.join(root, 'var/run-fifo'), 0, 5)
    await writeFile(path.join(root, 'etc/immutable.conf'), 'schg\n')
    setFakeFlags(host.fake, 'schg', path.join(root, 'etc/immutable.conf'))
    setFakeFlags(host.fake, 'uarch,nodump', path.join(data, 'index.html'), path.join(root, 'var/deep'))
    const flagsBefore = fakeFlagsUnder(host.fake, root)
    assert.deepEqual(flagsBefore, {
      'etc/immutable.conf': 'schg',
      'usr/local/www/data/index.html': 'uarch,nodump',
      'var/deep': 'uarch,nodump',
    })

    const before = await snapshotTree(root)
    assert.equal(before.get('var/run-fifo')?.type, 'other')
    const listedBefore = await listed()
    const archived = JSON.parse((await ok(['archive', '--json', 'web1'])).stdout) as ArchiveResult
    const file = archived.jails[0]?.file ?? ''
    await ok(['delete', '-w', '--force', 'web1'])
    assert.deepEqual(await listed(), [])

    const restored = await ok(['restore', file])
    assert.match(restored.stdout, /restored jail web1 \(web1\) at /)
    assert.deepEqual(diffTrees(before, await snapshotTree(root)), [])
    assert.deepEqual(fakeFlagsUnder(host.fake, root), flagsBefore)
    assert.deepEqual(await listed(), listedBefore)
    assert.deepEqual(
      (await readdir(host.dirs.jaildir)).filter((name) => name.startsWith('.')),
      [],
    )
    await ok(['start', 'web1'])

    // The same archive again: the name and the address are taken.
    const taken = await tsez(['restore', file], host.env)
    assert.equal(taken.exitCode, 2)
    assert.match(taken.stderr, /^tsez: .*web1.*\n$/)
    assert.match(taken.stderr, /address 10\.0\.0\.5 is in use by jail web1/)

    // Under another name and address, into another layout (a root outside tsez_jaildir/NAME).
    const otherRoot = path.join(host.root, 'elsewhere/web2')
    const copy = await ok([
      'restore',
      '--json',
      '--name',
      'web2.example.org',
      '--ip',
      'lo1|10.0.0.6',
      '-r',
      otherRoot,
      file,
    ])
    const result = JSON.parse(copy.stdout) as {jail: {name: string; root: string; addresses: string[]}}
    assert.equal(result.jail.name, 'web2_example_org')
    assert.deepEqual(result.jail.addresses, ['lo1|10.0.0.6'])
    assert.deepEqual(diffTrees(before, await snapshotTree(otherRoot)), [])
    assert.deepEqual(fakeFlagsUnder(host.fake, otherRoot), flagsBefore)
    const web2 = (await listed()).find((jail) => jail.name === 'web2_example_org')
    assert.equal(web2?.hostname, 'web2.example.org')
    assert.equal(web2?.root, otherRoot)
    await ok(['start', 'web2_example_org'])
  })

  it('restores a plain tar archive (-c none), read from the file itself: the same tree', async function () {
    this.timeout(60_000)
    await ok(['create', 'plain', '10.0.2.1'])
    const root = path.join(host.dirs.jaildir, 'plain')
    await writeFile(path.join(root, 'etc/motd.template'), 'uncompressed\n')
    const archived = JSON.parse((await ok(['archive', '--json', '-c', 'none', 'plain'])).stdout) as ArchiveResult
    const file = archived.jails[0]?.file ?? ''
    assert.match(file, /\.tsez\.tar$/)
    const before = await snapshotTree(root)
    await ok(['delete', '-w', '--force', 'plain'])
    const asked = host.fake.calls('jls').length
    await ok(['restore', file])
    assert.deepEqual(diffTrees(before, await snapshotTree(root)), [])
    assert.equal(host.fake.calls('jls').length, asked, "no jls: only --json shows the jail's state")
    await ok(['delete', '-w', '--force', 'plain'])
  })

  it('--dry-run prints the steps and changes nothing; --no-verify without a .sha256', async function () {
    this.timeout(60_000)
    await ok(['create', 'db', '10.0.1.1'])
    const archived = JSON.parse((await ok(['archive', '--json', '-c', 'zstd', 'db'])).stdout) as ArchiveResult
    const file = archived.jails[0]?.file ?? ''
    const dry = await ok(['restore', '-n', '--name', 'db2', '--ip', '10.0.1.2', file])
    assert.match(dry.stdout, /^write .*create-db2\.json \(create journal\)\nextract /)
    assert.equal(
      (await listed()).some((jail) => jail.name === 'db2'),
      false,
    )
    await rm(`${file}.sha256`)
    const unverified = await tsez(['restore', '--name', 'db2', '--ip', '10.0.1.2', file], host.env)
    assert.equal(unverified.exitCode, 2)
    assert.match(unverified.stderr, /sha256 is missing .*--no-verify/)
    await ok(['restore', '--no-verify', '--name', 'db2', '--ip', '10.0.1.2', file])
    assert.ok((await listed()).some((jail) => jail.name === 'db2'))
  })
})
