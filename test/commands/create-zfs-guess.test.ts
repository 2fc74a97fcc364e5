// tsez create on ZFS clones the newjail snapshot the last create recorded while zfs list runs; the list decides.
import assert from 'node:assert/strict'
import {execFile} from 'node:child_process'
import {lstat, readFile, readdir, rm, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {snapshotRecordFile} from '../../src/create/checked-clone.js'
import {tsez} from '../support/cli.js'
import {createInstalledHost, type InstalledHost} from '../support/installed-host.js'
import {ZFS_PARENT, poolNames, useZfs, zfsChanges} from '../support/zfs-host.js'

const exists = async (p: string) => (await lstat(p).catch(() => undefined)) !== undefined

const GONE = `${ZFS_PARENT}/newjail@tsez-19990101T000000Z`
const record = (snapshot: string) => JSON.stringify({version: 1, snapshot}) + '\n'

describe('tsez create on ZFS: the recorded snapshot cloned beside the list', function () {
  let host: InstalledHost
  let first: string

  beforeEach(async function () {
    host = await useZfs(await createInstalledHost())
    const created = await tsez(['create', 'web1', '10.0.0.1'], host.env)
    assert.equal(created.exitCode, 0, created.stderr)
    first =
      zfsChanges(host)
        .find((line) => line.startsWith('snapshot '))
        ?.split(' ')[1] ?? ''
  })
  afterEach(async () => host?.cleanup())

  const recorded = async () => JSON.parse(await readFile(snapshotRecordFile(host.config), 'utf8')) as unknown
  /** The zfs changes (argv without `zfs`) a create of NAME makes, each clone's mark replaced by MARK. */
  const changesOfCreate = async (name: string, address: string) => {
    const before = zfsChanges(host).length
    const result = await tsez(['create', name, address], host.env)
    const changes = zfsChanges(host)
      .slice(before)
      .map((line) => line.replace(/ -o tsez:create=[0-9a-f]{8} /, ' MARK '))
    return {result, changes}
  }
  const clone = (name: string, snapshot: string) =>
    `clone -o mountpoint=${path.join(host.dirs.jaildir, name)} MARK ${snapshot} ${ZFS_PARENT}/${name}`

  it('records the snapshot; the next create lists and clones it, with no snapshot', async function () {
    assert.deepEqual(await recorded(), {version: 1, snapshot: first})
    const before = host.fake.calls('zfs').length
    const {result, changes} = await changesOfCreate('web2', '10.0.0.2')
    assert.equal(result.exitCode, 0, result.stderr)
    assert.deepEqual(changes, [clone('web2', first)])
    const calls = host.fake.calls('zfs').slice(before)
    assert.deepEqual(
      calls.map((call) => call[1]).sort(),
      ['clone', 'list'],
      'one clone and one list, side by side (the clone started first)',
    )
    assert.deepEqual(await recorded(), {version: 1, snapshot: first})
  })

  it('the newjail changed since the recorded snapshot: that clone destroyed, re-cloned from a new one', async function () {
    await writeFile(path.join(host.dirs.newjail, 'etc/motd.template'), 'changed\n')
    const {result, changes} = await changesOfCreate('web2', '10.0.0.2')
    assert.equal(result.exitCode, 0, result.stderr)
    const taken = changes[2]?.split(' ')[1] ?? ''
    assert.match(taken, /^zroot\/tsez\/newjail@tsez-\d{8}T\d{6}Z(-\d+)?$/)
    assert.notEqual(taken, first)
    assert.deepEqual(changes, [
      clone('web2', first),
      `destroy ${ZFS_PARENT}/web2`,
      `snapshot ${taken}`,
      clone('web2', taken),
    ])
    assert.equal(await readFile(path.join(host.dirs.jaildir, 'web2/etc/motd.template'), 'utf8'), 'changed\n')
    assert.deepEqual(await recorded(), {version: 1, snapshot: taken})
    const next = await changesOfCreate('web3', '10.0.0.3')
    assert.deepEqual(next.changes, [clone('web3', taken)], 'the next create clones the new snapshot at once')
  })

  it('a change, then a snapshot by hand: `written` is 0, yet a tsez snapshot is taken of the change', async function () {
    await writeFile(path.join(host.dirs.newjail, 'etc/motd.template'), 'changed\n')
    assert.equal(await hostZfs(['snapshot', `${ZFS_PARENT}/newjail@by-hand`]), 0)
    const {result, changes} = await changesOfCreate('web2', '10.0.0.2')
    assert.equal(result.exitCode, 0, result.stderr)
    const taken = changes[2]?.split(' ')[1] ?? ''
    assert.deepEqual(changes, [
      clone('web2', first),
      `destroy ${ZFS_PARENT}/web2`,
      `snapshot ${taken}`,
      clone('web2', taken),
    ])
    assert.equal(await readFile(path.join(host.dirs.jaildir, 'web2/etc/motd.template'), 'utf8'), 'changed\n')
  })

  it("the jail's dataset exists (a clone of the same snapshot): refused, never destroyed", async function () {
    const elsewhere = path.join(host.root, 'elsewhere')
    assert.equal(await hostZfs(['clone', '-o', `mountpoint=${elsewhere}`, first, `${ZFS_PARENT}/web2`]), 0)
    const {result, changes} = await changesOfCreate('web2', '10.0.0.2')
    assert.equal(result.exitCode, 2, result.stderr)
    assert.match(result.stderr, /dataset zroot\/tsez\/web2 exists already and is not a tsez jail/)
    assert.equal(result.stderr.trimEnd().split('\n').length, 1, result.stderr)
    assert.deepEqual(changes, [clone('web2', first)], 'the clone onto it failed; nothing destroyed')
    assert.ok(poolNames(host).includes(`${ZFS_PARENT}/web2`))
    assert.ok(await exists(path.join(elsewhere, 'etc')), 'its tree is intact')
    assert.equal(await exists(path.join(host.dirs.jaildir, 'web2')), false)
    for (const file of [path.join(host.dirs.jailconf, 'web2.conf'), path.join(host.dirs.fstab, 'fstab.web2')]) {
      assert.equal(await exists(file), false, file)
    }
    assert.deepEqual(
      (await readdir(host.dirs.dbdir)).filter((f) => f.startsWith('create-')),
      [],
    )
  })

  const slowPaths: Array<[string, () => Promise<void>, string[]]> = [
    ['missing', () => rm(snapshotRecordFile(host.config)), []],
    ['corrupt', () => writeFile(snapshotRecordFile(host.config), '{"version":1,"snap'), []],
    ['of another dataset', () => writeFile(snapshotRecordFile(host.config), record('zroot/other@tsez-1')), []],
    ['of a snapshot that is gone', () => writeFile(snapshotRecordFile(host.config), record(GONE)), [GONE]],
  ]
  for (const [what, damage, failedClones] of slowPaths) {
    it(`a record ${what}: the clone of the listed snapshot, and the record written again`, async function () {
      await damage()
      const {result, changes} = await changesOfCreate('web2', '10.0.0.2')
      assert.equal(result.exitCode, 0, result.stderr)
      assert.deepEqual(changes, [...failedClones.map((gone) => clone('web2', gone)), clone('web2', first)])
      assert.deepEqual(await recorded(), {version: 1, snapshot: first})
    })
  }

  /** The fake zfs run by hand (as an admin would), on the test host's pool. */
  const hostZfs = (args: string[]) =>
    new Promise<number>((resolve) => {
      execFile('zfs', args, {env: {...process.env, ...host.env}}, (error) => resolve(error ? 1 : 0))
    })
})
