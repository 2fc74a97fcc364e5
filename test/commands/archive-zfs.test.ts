// tsez archive and restore on ZFS: a running jail archived from a snapshot's read-only clone, restored into a
// dataset mounted in place once complete; archives interchangeable with UFS ones; a failing zfs is a failed archive.
import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {existsSync} from 'node:fs'
import {appendFile, link, lstat, mkdir, readdir, symlink, writeFile} from 'node:fs/promises'
import path from 'node:path'

import type {ArchiveResult} from '../../src/archive/service.js'
import type {ListResult} from '../../src/list/service.js'
import {tsez} from '../support/cli.js'
import {fakeFlagsUnder, setFakeFlags} from '../support/fake-flags.js'
import {createInstalledHost, type InstalledHost} from '../support/installed-host.js'
import {diffTrees, snapshotTree} from '../support/tree.js'
import {ZFS_PARENT, poolNames, useZfs, zfsChanges} from '../support/zfs-host.js'

const isRoot = process.getuid?.() === 0
const STAMP = '\\d{8}T\\d{6}Z'

describe('tsez archive and restore on ZFS', function () {
  let host: InstalledHost
  beforeEach(async function () {
    if (!isRoot) this.skip()
    this.timeout(120_000)
    host = await createInstalledHost()
  })
  afterEach(async () => host?.cleanup())

  const ok = async (args: string[]) => {
    const result = await tsez(args, host.env)
    assert.equal(result.exitCode, 0, `${args.join(' ')}: ${result.stderr}`)
    return result
  }
  const listed = async () => (JSON.parse((await ok(['list', '--json'])).stdout) as ListResult).jails
  const archive = async (...args: string[]) => {
    const result = JSON.parse((await ok(['archive', '--json', ...args])).stdout) as ArchiveResult
    return result.jails[0]?.file ?? ''
  }
  const hidden = async () => (await readdir(host.dirs.jaildir)).filter((name) => name.startsWith('.'))
  const journals = async () => (await readdir(host.dirs.dbdir)).filter((n) => /^(archive|create)-/.test(n))

  /** web1 made with -f webserver, then changed: a schg file, a hard link, a symlink, a FIFO. */
  const changedJail = async (ip: string) => {
    await ok(['create', '-f', 'webserver', 'web1', ip])
    const root = path.join(host.dirs.jaildir, 'web1')
    const data = path.join(root, 'usr/local/www/data')
    await mkdir(data, {recursive: true})
    await writeFile(path.join(data, 'index.html'), '<h1>on zfs</h1>\n')
    await link(path.join(data, 'index.html'), path.join(data, 'hard-link.html'))
    await symlink('../../../../etc', path.join(data, 'climbing-link'))
    execFileSync('mkfifo', ['-m', '0620', path.join(root, 'var/run-fifo')])
    await writeFile(path.join(root, 'etc/immutable.conf'), 'schg\n')
    setFakeFlags(host.fake, 'schg', path.join(root, 'etc/immutable.conf'))
    return root
  }

  it('round trip of a running jail without -f: snapshot, read-only clone, both gone; restored into its dataset', async function () {
    this.timeout(180_000)
    host = await useZfs(host, 'compression=lz4')
    const root = await changedJail('10.0.20.1')
    const flags = fakeFlagsUnder(host.fake, root)
    assert.deepEqual(flags, {'etc/immutable.conf': 'schg'})
    const listedBefore = await listed()
    await ok(['start', 'web1'])
    const before = await snapshotTree(root)
    assert.equal(listedBefore[0]?.dataset, `${ZFS_PARENT}/web1`)
    const pool = poolNames(host)
    const changes = zfsChanges(host).length

    const dry = await ok(['archive', '-n', 'web1'])
    const snap = `${ZFS_PARENT}/web1@tsez-archive-${STAMP}-[0-9a-f]+`
    assert.match(
      dry.stdout,
      new RegExp(`^run zfs snapshot ${snap}\\nrun zfs clone -o mountpoint=\\S+ -o readonly=on`, 'm'),
    )
    assert.equal(zfsChanges(host).length, changes, '--dry-run changes no dataset')

    const file = await archive('web1')
    const made = zfsChanges(host).slice(changes)
    assert.equal(made.length, 4, made.join('\n'))
    assert.match(made[0] ?? '', new RegExp(`^snapshot ${snap}$`))
    const snapshot = (made[0] ?? '').split(' ')[1] ?? ''
    const clone = new RegExp(
      `^clone -o mountpoint=${host.dirs.jaildir}/\\.tsez-archive-web1\\.[0-9a-f]+ -o readonly=on `,
    )
    assert.match(made[1] ?? '', clone)
    assert.match(
      made[1] ?? '',
      new RegExp(` ${snapshot.replace(/[/.]/g, '\\$&')} ${ZFS_PARENT}/\\.tsez-archive-web1\\.`),
    )
    assert.deepEqual(made.slice(2), [`destroy ${(made[1] ?? '').split(' ').at(-1)}`, `destroy ${snapshot}`])
    assert.deepEqual(poolNames(host), pool, 'the pool as before')
    assert.deepEqual(await hidden(), [])
    assert.deepEqual(await journals(), [])
    execFileSync('sha256sum', ['-c', `${path.basename(file)}.sha256`], {cwd: path.dirname(file)})

    await ok(['delete', '-w', '--force', 'web1'])
    assert.equal(poolNames(host).includes(`${ZFS_PARENT}/web1`), false)
    const restoring = zfsChanges(host).length
    const dryRestore = (await ok(['restore', '-n', file])).stdout
    assert.match(
      dryRestore,
      /^run zfs create -o mountpoint=\S+\/\.tsez-restore-web1\.[0-9a-f]+\/root -o tsez:restore=/m,
    )
    assert.match(dryRestore, new RegExp(`^run zfs set mountpoint=${root} ${ZFS_PARENT}/web1$`, 'm'))
    assert.equal(zfsChanges(host).length, restoring, 'restore --dry-run changes no dataset')
    await ok(['restore', file])
    assert.deepEqual(diffTrees(before, await snapshotTree(root)), [])
    assert.deepEqual(fakeFlagsUnder(host.fake, root), flags)
    assert.deepEqual(await listed(), listedBefore)
    const restored = zfsChanges(host).slice(restoring)
    assert.equal(restored.length, 2, restored.join('\n'))
    const staged = new RegExp(
      `^create -o mountpoint=${host.dirs.jaildir}/\\.tsez-restore-web1\\.([0-9a-f]+)/root -o tsez:restore=\\1 ` +
        `-o compression=lz4 ${ZFS_PARENT}/web1$`,
    )
    assert.match(restored[0] ?? '', staged)
    assert.equal(restored[1], `set mountpoint=${root} ${ZFS_PARENT}/web1`)
    assert.deepEqual(await hidden(), [])
    assert.deepEqual(await journals(), [])
    await ok(['start', 'web1'])
  })

  it('a failing zfs snapshot or clone fails the archive: exit 1, no archive, the pool as it was', async function () {
    this.timeout(120_000)
    host = await useZfs(host)
    await ok(['create', 'web1', '10.0.21.1'])
    const dir = path.join(host.root, 'archives')
    const pool = poolNames(host)
    for (const failing of ['snapshot', 'clone', 'destroy']) {
      host.fake.set('zfs.fail', failing)
      const failed = await tsez(['archive', '-d', dir, 'web1'], host.env)
      host.fake.unset('zfs.fail')
      assert.equal(failed.exitCode, 1, `zfs ${failing}: ${failed.stderr}`)
      assert.match(failed.stderr, new RegExp(`archiving web1 failed: zfs ${failing} .*fake failure`))
      assert.deepEqual(await readdir(dir), [], `zfs ${failing}: nothing in the archive directory`)
      if (failing === 'destroy') {
        // The clone and snapshot could not go: the next archive destroys them first.
        assert.equal(poolNames(host).length, pool.length + 2)
        await new Promise((resolve) => setTimeout(resolve, 1100))
        const next = await ok(['archive', '-d', dir, 'web1'])
        assert.match(next.stderr, /destroyed dataset zroot\/tsez\/\.tsez-archive-web1\..*interrupted tsez archive/)
        await ok(['delete', '-w', '--force', 'web1'])
        assert.deepEqual(
          poolNames(host),
          pool.filter((name) => name !== `${ZFS_PARENT}/web1`),
        )
      } else assert.deepEqual(poolNames(host), pool, `zfs ${failing}: the pool as it was`)
      assert.deepEqual(await hidden(), [], `zfs ${failing}`)
      assert.deepEqual(await journals(), [], `zfs ${failing}`)
    }
  })

  it('a restore that fails (exit 1) into new -r parents takes the parents it made away too', async function () {
    this.timeout(120_000)
    host = await useZfs(host)
    await ok(['create', 'web5', '10.0.21.5'])
    const dir = path.join(host.root, 'archives5')
    const archived = JSON.parse((await ok(['archive', '--json', '-d', dir, 'web5'])).stdout) as ArchiveResult
    const parents = path.join(host.root, 'srv-new')
    host.fake.set('zfs.fail', 'create')
    const failed = await tsez(
      [
        'restore',
        '--name',
        'web6',
        '--ip',
        '10.0.21.6',
        '-r',
        path.join(parents, 'deeper/web6'),
        archived.jails[0]!.file!,
      ],
      host.env,
    )
    host.fake.unset('zfs.fail')
    assert.equal(failed.exitCode, 1, failed.stderr)
    assert.match(failed.stderr, /nothing of it was kept/)
    assert.equal(existsSync(parents), false, 'the parent directories -r made are gone')
  })

  it("the sweeps destroy only what their journal made: not another restore's dataset, not another clone", async function () {
    this.timeout(120_000)
    host = await useZfs(host)
    await ok(['create', 'web1', '10.0.23.1'])
    const fakeZfs = (...args: string[]) => execFileSync(path.join(host.fake.binDir, 'zfs'), args, {env: host.fake.env})
    const snapshot = `${ZFS_PARENT}/web1@tsez-archive-20260101T000000Z-abc`
    const clone = `${ZFS_PARENT}/.tsez-archive-web1.abc`
    const mountpoint = path.join(host.dirs.jaildir, '.tsez-archive-web1.abc')
    // A clone of that name made from another snapshot; the journal's own snapshot was never taken.
    fakeZfs('snapshot', `${ZFS_PARENT}/web1@mine`)
    fakeZfs('clone', '-o', `mountpoint=${mountpoint}`, `${ZFS_PARENT}/web1@mine`, clone)
    const archiveJournal = {version: 1, name: 'web1', dataset: `${ZFS_PARENT}/web1`, snapshot, clone, mountpoint}
    await writeFile(path.join(host.dirs.dbdir, 'archive-web1.json'), JSON.stringify(archiveJournal))
    // A dataset under a restored jail's name with another mark than its create journal's.
    fakeZfs(
      'create',
      '-o',
      `mountpoint=${path.join(host.dirs.jaildir, 'db1')}`,
      '-o',
      'tsez:restore=theirs',
      `${ZFS_PARENT}/db1`,
    )
    const root = path.join(host.dirs.jaildir, 'db1')
    const createJournal = {
      version: 1,
      name: 'db1',
      root,
      ownsRoot: true,
      dataset: {name: `${ZFS_PARENT}/db1`, mark: 'ours'},
    }
    await writeFile(
      path.join(host.dirs.dbdir, 'create-db1.json'),
      JSON.stringify({...createJournal, pid: 1, started: ''}),
    )
    const pool = poolNames(host)

    const file = await archive('-d', path.join(host.root, 'archives'), 'web1')
    assert.deepEqual(await journals(), ['create-db1.json'], "the archive's journal is done with")
    const refused = await tsez(['restore', '--name', 'db1', '--ip', '10.0.23.2', file], host.env)
    assert.equal(refused.exitCode, 2, refused.stderr)
    assert.match(refused.stderr, /dataset zroot\/tsez\/db1 exists already/)
    assert.deepEqual(poolNames(host), pool, 'neither dataset was destroyed')
  })

  it('archives are interchangeable: a UFS archive restored into a dataset, a ZFS one into a directory', async function () {
    this.timeout(180_000)
    const root = await changedJail('10.0.22.1')
    const ufsTree = await snapshotTree(root)
    const ufsFile = await archive('web1')
    await ok(['delete', '-w', '--force', 'web1'])

    host = await useZfs(host)
    await ok(['restore', ufsFile])
    assert.deepEqual(diffTrees(ufsTree, await snapshotTree(root)), [])
    assert.deepEqual(fakeFlagsUnder(host.fake, root), {'etc/immutable.conf': 'schg'})
    assert.equal((await listed())[0]?.dataset, `${ZFS_PARENT}/web1`)
    assert.ok(poolNames(host).includes(`${ZFS_PARENT}/web1`))
    await new Promise((resolve) => setTimeout(resolve, 1100))
    const zfsFile = await archive('web1')
    await ok(['delete', '-w', '--force', 'web1'])

    await appendFile(host.configFile, 'tsez_use_zfs="NO"\n')
    await ok(['restore', zfsFile])
    assert.deepEqual(diffTrees(ufsTree, await snapshotTree(root)), [])
    assert.deepEqual(fakeFlagsUnder(host.fake, root), {'etc/immutable.conf': 'schg'})
    assert.equal((await listed())[0]?.dataset, null)
    assert.equal(poolNames(host).includes(`${ZFS_PARENT}/web1`), false)
    assert.ok((await lstat(root)).isDirectory())
  })
})
