import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {chmod, chown, cp, link, mkdir, mkdtemp, readFile, symlink, writeFile} from 'node:fs/promises'
import path from 'node:path'

import type {ListResult} from '../../src/list/service.js'
import type {RestoreResult} from '../../src/restore/service.js'
import {makeEzjailArchive} from '../fixtures/ezjail-archive.js'
import {tsez} from '../support/cli.js'
import {createInstalledHost, type InstalledHost} from '../support/installed-host.js'
import {diffTrees, snapshotTree} from '../support/tree.js'

const isRoot = process.getuid?.() === 0

describe('tsez restore of ezjail archives', () => {
  let host: InstalledHost
  let archives: string
  before(async function () {
    if (!isRoot) this.skip()
    this.timeout(120_000)
    host = await createInstalledHost()
    archives = await mkdtemp(path.join(host.root, 'ezjail-archives-'))
  })
  after(async () => host?.cleanup())

  const ok = async (args: string[]) => {
    const result = await tsez(args, host.env)
    assert.equal(result.exitCode, 0, `${args.join(' ')}: ${result.stderr}`)
    return result
  }
  const listed = async () => (JSON.parse((await ok(['list', '--json'])).stdout) as ListResult).jails

  /** An ezjail jail's tree: the newjail (ezjail's thin layout) plus what its admin changed. */
  const fill = async (tree: string) => {
    await cp(host.dirs.newjail, tree, {recursive: true, verbatimSymlinks: true, preserveTimestamps: true})
    const www = path.join(tree, 'usr/local/www')
    await mkdir(www, {recursive: true})
    await writeFile(path.join(www, 'index.html'), '<h1>from ezjail</h1>\n')
    await link(path.join(www, 'index.html'), path.join(www, 'hard.html'))
    await symlink('/etc/master.passwd', path.join(tree, 'abs-link'))
    await writeFile(path.join(tree, 'usr/local/suid'), '#!/bin/sh\n')
    await chown(path.join(tree, 'usr/local/suid'), 0, 5)
    await chmod(path.join(tree, 'usr/local/suid'), 0o4750)
    await writeFile(path.join(tree, 'etc/ünïcødé name'), 'x\n')
    await writeFile(path.join(tree, `etc/${'l'.repeat(150)}`), 'long\n')
    execFileSync('mkfifo', ['-m', '0640', path.join(tree, 'var/fifo')])
  }

  for (const format of ['odc', 'pax'] as const) {
    it(`restores a ${format} ezjail archive as a thin tsez jail: its tree, name, hostname and addresses`, async function () {
      this.timeout(120_000)
      const hostname = `www-${format}.example.org`
      let expected = new Map() as Awaited<ReturnType<typeof snapshotTree>>
      const file = await makeEzjailArchive(archives, {
        hostname,
        ip: `lo1|127.0.3.${format === 'odc' ? 1 : 2},em0|192.168.1.5${format === 'odc' ? 0 : 1}`,
        norun: format === 'pax',
        format,
        fill: async (tree) => {
          await fill(tree)
          expected = await snapshotTree(tree)
        },
      })
      const result = JSON.parse((await ok(['restore', '--json', file])).stdout) as RestoreResult
      const name = `www_${format}_example_org`
      assert.equal(result.jail.name, name)
      assert.equal(result.from.host, 'oldhost')
      const root = path.join(host.dirs.jaildir, name)
      const restored = await snapshotTree(root)
      assert.deepEqual(diffTrees(expected, restored, {ignoreMtimeOf: ['.']}), [])
      assert.equal(restored.get('var/fifo')?.type, 'other')
      const row = (await listed()).find((jail) => jail.name === name)
      assert.equal(row?.hostname, hostname)
      assert.deepEqual(row?.addresses, [
        `lo1|127.0.3.${format === 'odc' ? 1 : 2}`,
        `em0|192.168.1.5${format === 'odc' ? 0 : 1}`,
      ])
      assert.equal(row?.run, format === 'odc')
      const fstab = await readFile(path.join(host.dirs.fstab, `fstab.${name}`), 'utf8')
      assert.match(fstab, new RegExp(`^${host.dirs.basejail}\\s+${root}/basejail\\s+nullfs\\s+ro`, 'm'))
      await ok(['start', name])
    })
  }

  it('an ezjail archive (cpio) with names that are not UTF-8: restored byte for byte', async function () {
    this.timeout(120_000)
    const hostname = 'latin1.example.org'
    const file = await makeEzjailArchive(archives, {
      hostname,
      ip: 'lo1|127.0.3.9',
      format: 'odc',
      fill: async (tree) => {
        await cp(host.dirs.newjail, tree, {recursive: true, verbatimSymlinks: true, preserveTimestamps: true})
        const dir = Buffer.from(`${tree}/usr/local/www/donn\xe9es`, 'latin1') // ISO 8859-1, as old uploads are
        await mkdir(dir, {recursive: true})
        await writeFile(Buffer.concat([dir, Buffer.from('/caf\xe9.txt', 'latin1')]), 'latin1\n')
        await symlink(Buffer.from('caf\xe9.txt', 'latin1'), Buffer.concat([dir, Buffer.from('/l\xe9', 'latin1')]))
      },
    })
    await ok(['restore', file])
    const www = path.join(host.dirs.jaildir, 'latin1_example_org', 'usr/local/www')
    const listing = execFileSync('find', [www, '-printf', '%P %l\\n']).toString('latin1').split('\n').sort()
    assert.deepEqual(listing, ['', ' ', 'donn\xe9es ', 'donn\xe9es/caf\xe9.txt ', 'donn\xe9es/l\xe9 caf\xe9.txt'])
  })

  it('--name, --ip and -r override the archived ones; another jaildir layout', async function () {
    this.timeout(120_000)
    const file = await makeEzjailArchive(archives, {hostname: 'db.example.org', ip: '10.1.1.1', fill})
    const elsewhere = path.join(host.root, 'other-layout/jails/db2')
    const result = JSON.parse(
      (await ok(['restore', '--json', '--name', 'db2', '--ip', 'lo1|10.1.1.2', '-r', elsewhere, file])).stdout,
    ) as RestoreResult
    assert.equal(result.jail.root, elsewhere)
    const row = (await listed()).find((jail) => jail.name === 'db2')
    assert.deepEqual(row?.addresses, ['lo1|10.1.1.2'])
    assert.equal(row?.root, elsewhere)
    assert.ok((await snapshotTree(elsewhere)).has('usr/local/www/hard.html'))
  })
})
