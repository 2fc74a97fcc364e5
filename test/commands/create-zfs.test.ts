// tsez create on ZFS: one snapshot of the newjail per change, one clone per jail, flavours over it, --quota.
import assert from 'node:assert/strict'
import {lstat, mkdir, readFile, readdir, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {tsez} from '../support/cli.js'
import {createInstalledHost, type InstalledHost} from '../support/installed-host.js'
import {ZFS_PARENT, poolNames, useZfs, zfsChanges} from '../support/zfs-host.js'

const SNAPSHOT = /^zroot\/tsez\/newjail@tsez-\d{8}T\d{6}Z(-\d+)?$/

describe('tsez create on ZFS', function () {
  let host: InstalledHost

  beforeEach(async function () {
    host = await useZfs(await createInstalledHost(), 'compression=lz4 atime=off')
  })
  afterEach(async () => host?.cleanup())

  const record = async (name: string) =>
    JSON.parse(await readFile(path.join(host.dirs.confdir, `${name}.json`), 'utf8')) as {dataset?: string}

  it('snapshots the newjail once, clones it per jail at the root, lays the flavour over the clone', async function () {
    const first = await tsez(['create', '-f', 'webserver', 'web1', '10.0.0.1'], host.env)
    assert.equal(first.exitCode, 0, first.stderr)
    const second = await tsez(['create', 'web2', '10.0.0.2'], host.env)
    assert.equal(second.exitCode, 0, second.stderr)
    const changes = zfsChanges(host)
    assert.equal(changes.length, 3, changes.join('\n'))
    const [snapshot, clone1, clone2] = changes.map((line) => line.split(' '))
    assert.equal(snapshot?.[0], 'snapshot')
    const taken = snapshot?.[1] ?? ''
    assert.match(taken, SNAPSHOT)
    const root1 = path.join(host.dirs.jaildir, 'web1')
    const root2 = path.join(host.dirs.jaildir, 'web2')
    const props = ['-o', 'compression=lz4', '-o', 'atime=off', '-o']
    const [mark1, mark2] = [clone1?.at(-3) ?? '', clone2?.at(-3) ?? '']
    assert.deepEqual(clone1, ['clone', '-o', `mountpoint=${root1}`, ...props, mark1, taken, `${ZFS_PARENT}/web1`])
    assert.deepEqual(clone2, ['clone', '-o', `mountpoint=${root2}`, ...props, mark2, taken, `${ZFS_PARENT}/web2`])
    assert.match(mark1, /^tsez:create=[0-9a-f]{8}$/, 'the clone carries the mark the journal names')
    assert.notEqual(mark1, mark2)
    assert.ok((await lstat(path.join(root1, 'usr/local/etc/nginx'))).isDirectory(), "the flavour's tree is there")
    assert.deepEqual((await readdir(root2)).sort(), (await readdir(host.dirs.newjail)).sort())
    assert.equal((await record('web1')).dataset, `${ZFS_PARENT}/web1`)
    const listed = JSON.parse((await tsez(['list', '--json'], host.env)).stdout) as {
      jails: Array<{name: string; dataset: string | null}>
    }
    assert.deepEqual(
      listed.jails.map((j) => [j.name, j.dataset]),
      [
        ['web1', `${ZFS_PARENT}/web1`],
        ['web2', `${ZFS_PARENT}/web2`],
      ],
    )
  })

  it('takes a new snapshot once the newjail changed, and says so in --dry-run', async function () {
    assert.equal((await tsez(['create', 'web1', '10.0.0.1'], host.env)).exitCode, 0)
    await writeFile(path.join(host.dirs.newjail, 'etc/motd.template'), 'changed\n')
    const dry = await tsez(['create', '--dry-run', 'web2', '10.0.0.2'], host.env)
    assert.equal(dry.exitCode, 0, dry.stderr)
    assert.match(dry.stdout, /^run zfs snapshot zroot\/tsez\/newjail@tsez-\S+ \(the newjail as it is now\)$/m)
    assert.match(dry.stdout, /^run zfs clone -o mountpoint=\S+\/web2 .* zroot\/tsez\/web2$/m)
    assert.doesNotMatch(dry.stdout, /^copy /m)
    assert.equal((await tsez(['create', 'web2', '10.0.0.2'], host.env)).exitCode, 0)
    const snapshots = poolNames(host).filter((name) => name.includes('@'))
    assert.equal(snapshots.length, 2)
    assert.equal(await readFile(path.join(host.dirs.jaildir, 'web2/etc/motd.template'), 'utf8'), 'changed\n')
  })

  it("lists only the newjail and the jail's dataset, once, beside the clone: no jls without --json", async function () {
    assert.equal((await tsez(['create', 'web1', '10.0.0.1'], host.env)).exitCode, 0)
    const before = host.fake.calls().length
    const second = await tsez(['create', 'web2', '10.0.0.2'], host.env)
    assert.equal(second.exitCode, 0, second.stderr)
    const calls = host.fake.calls().slice(before)
    const list = ['zfs', 'list', '-H', '-p', '-o', 'name,written', '-t', 'filesystem,snapshot', '-d', '1']
    assert.deepEqual(calls.map((call) => call.slice(0, 2).join(' ')).sort(), ['zfs clone', 'zfs list'])
    const listed = calls.find((call) => call[1] === 'list')
    assert.deepEqual(listed, [...list, `${ZFS_PARENT}/newjail`, `${ZFS_PARENT}/web2`])
    const json = await tsez(['create', '--json', 'web3', '10.0.0.3'], host.env)
    assert.equal(json.exitCode, 0, json.stderr)
    assert.equal((JSON.parse(json.stdout) as {jail: {state: string}}).jail.state, 'stopped')
    assert.equal(host.fake.calls('jls').length, 1, '--json shows the jail object, its state from jls')
  })

  it('a refusal names every problem at once, the dataset in the way among them', async function () {
    const pool = host.fake.read('zfs.datasets') ?? ''
    host.fake.set('zfs.datasets', `${pool}${ZFS_PARENT}/web1\t-\n`)
    const refused = await tsez(['create', 'web1', '10.0.0.300'], host.env)
    assert.equal(refused.exitCode, 2)
    assert.equal(refused.stderr.trimEnd().split('\n').length, 1, refused.stderr)
    assert.match(refused.stderr, /10\.0\.0\.300/)
    assert.match(refused.stderr, /dataset zroot\/tsez\/web1 exists already and is not a tsez jail/)
    assert.deepEqual(zfsChanges(host), [])
  })

  it("--quota SIZE sets the clone's quota", async function () {
    const created = await tsez(['create', '--quota', '10G', 'web1', '10.0.0.1'], host.env)
    assert.equal(created.exitCode, 0, created.stderr)
    const clone = zfsChanges(host).find((line) => line.startsWith('clone '))
    assert.match(clone ?? '', / -o quota=10G /)
  })

  it('refuses without a newjail dataset: install on ZFS first', async function () {
    host.fake.set('zfs.datasets', 'zroot\t-\nzroot/tsez\t-\n')
    const refused = await tsez(['create', 'web1', '10.0.0.1'], host.env)
    assert.equal(refused.exitCode, 2)
    assert.match(refused.stderr, /no dataset zroot\/tsez\/newjail for the newjail; run tsez install --force/)
  })

  it('a failure after the clone destroys the clone: nothing of the jail is kept', async function () {
    // A flavour whose file lands where the clone has a directory: the overlay fails after the clone is made.
    await mkdir(path.join(host.dirs.flavours, 'broken'))
    await writeFile(path.join(host.dirs.flavours, 'broken/etc'), 'a file over /etc')
    const failed = await tsez(['create', '-f', 'broken', 'web1', '10.0.0.1'], host.env)
    assert.equal(failed.exitCode, 1)
    assert.match(failed.stderr, /creating jail web1 failed, nothing of it was kept/)
    const changes = zfsChanges(host)
    assert.deepEqual(
      changes.map((line) => line.split(' ')[0]),
      ['snapshot', 'clone', 'destroy'],
    )
    assert.equal(changes[2], `destroy ${ZFS_PARENT}/web1`)
    assert.ok(!poolNames(host).includes(`${ZFS_PARENT}/web1`))
    assert.equal(await lstat(path.join(host.dirs.jaildir, 'web1')).catch(() => undefined), undefined)
    assert.deepEqual(
      (await readdir(host.dirs.dbdir)).filter((f) => f.startsWith('create-')),
      [],
    )
  })
})
