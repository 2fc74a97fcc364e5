// tsez clone on ZFS: a fresh snapshot of the source (running or not) cloned to PARENT/NEW, no copy.
import assert from 'node:assert/strict'
import {lstat, mkdir, readFile, symlink, writeFile} from 'node:fs/promises'
import path from 'node:path'

import type {CloneResult} from '../../src/clone/service.js'
import {tsez, tsezOk} from '../support/cli.js'
import {createInstalledHost, type InstalledHost} from '../support/installed-host.js'
import {diffTrees, snapshotTree} from '../support/tree.js'
import {ZFS_PARENT, poolNames, useZfs, zfsChanges} from '../support/zfs-host.js'

const isRoot = process.getuid?.() === 0
const exists = async (p: string) => (await lstat(p).catch(() => undefined)) !== undefined

describe('tsez clone on ZFS', function () {
  let host: InstalledHost
  beforeEach(async function () {
    if (!isRoot) this.skip()
    this.timeout(120_000)
    host = await useZfs(await createInstalledHost(), 'compression=lz4')
  })
  afterEach(async () => host?.cleanup())

  const ok = (args: string[]) => tsezOk(args, host.env)

  it('clones a running jail from a fresh snapshot: argv, tree, record with its dataset; first-start scripts dropped', async function () {
    this.timeout(120_000)
    await ok(['create', '-f', 'webserver', 'web1', '10.0.10.1'])
    const root = path.join(host.dirs.jaildir, 'web1')
    await writeFile(path.join(root, 'etc/motd.template'), 'web1 was here\n')
    assert.ok(await exists(path.join(root, 'var/db/tsez/firstboot')), 'webserver leaves a first-start script')
    await ok(['start', 'web1'])
    const before = zfsChanges(host).length

    const dry = await ok(['clone', '-n', 'web1', 'web2', '10.0.10.2'])
    assert.match(dry.stdout, /^zfs snapshot zroot\/tsez\/web1@tsez-clone-web2-\d{8}T\d{6}Z$/m)
    assert.equal(zfsChanges(host).length, before, '--dry-run runs no zfs change')

    const result = JSON.parse((await ok(['clone', '--json', 'web1', 'web2', '10.0.10.2'])).stdout) as CloneResult
    const root2 = path.join(host.dirs.jaildir, 'web2')
    const changes = zfsChanges(host).slice(before)
    assert.equal(changes.length, 2, changes.join('\n'))
    assert.match(changes[0] ?? '', /^snapshot zroot\/tsez\/web1@tsez-clone-web2-\d{8}T\d{6}Z$/)
    const snap = (changes[0] ?? '').split(' ')[1]
    assert.equal(changes[1], `clone -o mountpoint=${root2} -o compression=lz4 ${snap} ${ZFS_PARENT}/web2`)
    assert.equal(result.jail.dataset, `${ZFS_PARENT}/web2`)
    const record = JSON.parse(await readFile(path.join(host.dirs.confdir, 'web2.json'), 'utf8')) as {dataset?: string}
    assert.equal(record.dataset, `${ZFS_PARENT}/web2`)
    const skipFirstboot = (tree: Awaited<ReturnType<typeof snapshotTree>>) =>
      new Map([...tree].filter(([rel]) => !rel.startsWith('var/db/tsez/firstboot')))
    assert.deepEqual(
      diffTrees(skipFirstboot(await snapshotTree(root)), skipFirstboot(await snapshotTree(root2)), {
        ignoreMtimeOf: ['var/db/tsez'],
      }),
      [],
    )
    assert.equal(await exists(path.join(root2, 'var/db/tsez/firstboot')), false)
    assert.ok(await exists(path.join(root, 'var/db/tsez/firstboot')), "the source's scripts stay")
    await ok(['start', 'web2'])
  })

  it('never removes through a symlink in the source; the snapshot of a deleted clone goes with the next clone', async function () {
    this.timeout(120_000)
    await ok(['create', 'app1', '10.0.11.1'])
    const root = path.join(host.dirs.jaildir, 'app1')
    const outside = path.join(host.root, 'outside/firstboot')
    await mkdir(outside, {recursive: true})
    await writeFile(path.join(outside, 'keep'), 'host file\n')
    await mkdir(path.join(root, 'var/db'), {recursive: true})
    await symlink(path.join(host.root, 'outside'), path.join(root, 'var/db/tsez'))
    await ok(['clone', 'app1', 'app2', '10.0.11.2'])
    assert.equal(await readFile(path.join(outside, 'keep'), 'utf8'), 'host file\n')
    const snapshot = poolNames(host).find((name) => name.startsWith(`${ZFS_PARENT}/app1@tsez-clone-app2-`))
    assert.ok(snapshot !== undefined)
    await ok(['delete', '-w', '--force', 'app2'])
    assert.ok(poolNames(host).includes(snapshot), 'delete leaves the origin snapshot')
    const next = await ok(['clone', 'app1', 'app3', '10.0.11.3'])
    assert.match(next.stderr, new RegExp(`destroyed ${snapshot}: no clone is made from it any more`))
    assert.equal(poolNames(host).includes(snapshot), false)
  })

  it('refuses a PARENT/NEW dataset it did not make, untouched', async function () {
    this.timeout(60_000)
    await ok(['create', 'db1', '10.0.12.1'])
    host.fake.set('zfs.datasets', (host.fake.read('zfs.datasets') ?? '') + `${ZFS_PARENT}/db2\t-\n`)
    const refused = await tsez(['clone', 'db1', 'db2', '10.0.12.2'], host.env)
    assert.equal(refused.exitCode, 2)
    assert.match(refused.stderr, /dataset zroot\/tsez\/db2 exists already and is not a tsez jail/)
    assert.ok(poolNames(host).includes(`${ZFS_PARENT}/db2`))
  })
})
