// tsez delete -w on ZFS: zfs destroy of exactly the jail's dataset, the template's snapshot only when unused and old.
import assert from 'node:assert/strict'
import {lstat, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {tsez} from '../support/cli.js'
import {createInstalledHost, type InstalledHost} from '../support/installed-host.js'
import {ZFS_PARENT, poolNames, useZfs, zfsChanges} from '../support/zfs-host.js'

describe('tsez delete -w on ZFS', function () {
  let host: InstalledHost

  beforeEach(async function () {
    host = await useZfs(await createInstalledHost())
  })
  afterEach(async () => host?.cleanup())

  const ok = async (...args: string[]) => {
    const result = await tsez(args, host.env)
    assert.equal(result.exitCode, 0, `${args.join(' ')}: ${result.stderr}`)
    return result
  }
  const gone = async (name: string) =>
    assert.equal(await lstat(path.join(host.dirs.jaildir, name)).catch(() => undefined), undefined)
  const changesSince = (count: number) => zfsChanges(host).slice(count)

  it("destroys the jail's dataset only; the snapshot another clone uses, and the newest, stay", async function () {
    await ok('create', 'web1', '10.0.0.1')
    await ok('create', 'web2', '10.0.0.2')
    const snapshot = poolNames(host).find((name) => name.includes('@')) ?? ''
    const dry = await ok('delete', '-w', '--force', '--dry-run', 'web1')
    assert.match(dry.stdout, new RegExp(`^run zfs destroy ${ZFS_PARENT}/web1$`, 'm'))
    assert.doesNotMatch(dry.stdout, /chflags|remove .*web1 \(every entry/)
    const before = zfsChanges(host).length
    await ok('delete', '-w', '--force', 'web1')
    assert.deepEqual(changesSince(before), [`destroy ${ZFS_PARENT}/web1`])
    await gone('web1')
    assert.ok(poolNames(host).includes(snapshot), 'web2 still depends on the snapshot')
    await ok('delete', '-w', '--force', 'web2')
    assert.deepEqual(changesSince(before + 1), [`destroy ${ZFS_PARENT}/web2`], 'the newest snapshot stays')
    assert.deepEqual(
      poolNames(host).filter((name) => name.startsWith(`${ZFS_PARENT}/web`)),
      [],
    )
  })

  it("drops an older template snapshot with its last clone, and the jail's own snapshots first", async function () {
    await ok('create', 'web1', '10.0.0.1')
    const old = poolNames(host).find((name) => name.includes('@')) ?? ''
    await writeFile(path.join(host.dirs.newjail, 'etc/motd.template'), 'changed\n')
    await ok('create', 'web2', '10.0.0.2')
    host.fake.set('zfs.snapshots', `${host.fake.read('zfs.snapshots')}${ZFS_PARENT}/web1@mine\t99\t0\n`)
    const before = zfsChanges(host).length
    await ok('delete', '-w', '--force', 'web1')
    assert.deepEqual(changesSince(before), [
      `destroy ${ZFS_PARENT}/web1@mine`,
      `destroy ${ZFS_PARENT}/web1`,
      `destroy ${old}`,
    ])
    assert.equal(poolNames(host).filter((name) => name.includes('@')).length, 1)
  })

  it('refuses (exit 2, nothing destroyed) when a snapshot of the jail is cloned', async function () {
    await ok('create', 'web1', '10.0.0.1')
    host.fake.set('zfs.snapshots', `${host.fake.read('zfs.snapshots')}${ZFS_PARENT}/web1@mine\t99\t0\n`)
    const pool = host.fake.read('zfs.datasets') ?? ''
    host.fake.set('zfs.datasets', `${pool}${ZFS_PARENT}/copy\t-\t${ZFS_PARENT}/web1@mine\n`)
    const before = zfsChanges(host).length
    const refused = await tsez(['delete', '-w', '--force', 'web1'], host.env)
    assert.equal(refused.exitCode, 2)
    assert.match(
      refused.stderr,
      /snapshots of zroot\/tsez\/web1 are cloned \(zroot\/tsez\/web1@mine by zroot\/tsez\/copy\)/,
    )
    assert.deepEqual(changesSince(before), [])
    assert.ok((await lstat(path.join(host.dirs.confdir, 'web1.json'))).isFile())
  })

  it('without -w keeps the dataset, as it keeps a root on UFS', async function () {
    await ok('create', 'web1', '10.0.0.1')
    const before = zfsChanges(host).length
    await ok('delete', 'web1')
    assert.deepEqual(changesSince(before), [])
    assert.ok(poolNames(host).includes(`${ZFS_PARENT}/web1`))
  })
})
