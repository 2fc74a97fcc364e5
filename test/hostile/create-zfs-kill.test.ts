// tsez create on ZFS killed with SIGKILL once its clone exists: no half jail survives the next command's sweep.
import assert from 'node:assert/strict'
import {lstat, readdir} from 'node:fs/promises'
import path from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'

import type {ListResult} from '../../src/list/service.js'
import {spawnTsez, tsez} from '../support/cli.js'
import {createInstalledHost, type InstalledHost} from '../support/installed-host.js'
import {ZFS_PARENT, poolNames, useZfs, zfsChanges} from '../support/zfs-host.js'

const exists = async (p: string) => (await lstat(p).catch(() => undefined)) !== undefined

describe('tsez create on ZFS killed with SIGKILL', function () {
  let host: InstalledHost
  beforeEach(async function () {
    host = await useZfs(await createInstalledHost())
  })
  afterEach(async () => host?.cleanup())

  /** Starts create NAME, waits until its clone is made (the fake clone then lingers), and kills tsez. */
  const killAfterClone = async (name: string, address: string) => {
    host.fake.set('zfs.clone.sleep', '5')
    const {child, done} = spawnTsez(['create', '-f', 'webserver', name, address], host.env)
    for (let waited = 0; !poolNames(host).includes(`${ZFS_PARENT}/${name}`); waited += 50) {
      assert.ok(waited < 60_000, 'the clone never appeared')
      await sleep(50)
    }
    child.kill('SIGKILL')
    await done
    host.fake.unset('zfs.clone.sleep')
  }

  it('leaves a clone that list reports as incomplete and the next create destroys, exactly', async function () {
    await killAfterClone('k1', '10.0.1.1')
    const listed = JSON.parse((await tsez(['list', '--json'], host.env)).stdout) as ListResult
    assert.deepEqual(
      listed.jails.map((j) => [j.name, j.state]),
      [['k1', 'incomplete']],
    )
    const before = zfsChanges(host).length
    const next = await tsez(['create', 'after', '10.0.2.1'], host.env)
    assert.equal(next.exitCode, 0, next.stderr)
    assert.equal(zfsChanges(host)[before], `destroy ${ZFS_PARENT}/k1`, 'the sweep destroys the killed clone first')
    assert.match(next.stderr, /removed dataset zroot\/tsez\/k1, left by an interrupted tsez create/)
    assert.ok(!poolNames(host).includes(`${ZFS_PARENT}/k1`))
    assert.equal(await exists(path.join(host.dirs.jaildir, 'k1')), false)
    assert.deepEqual(
      (await readdir(host.dirs.dbdir)).filter((f) => f.startsWith('create-')),
      [],
    )
    const after = JSON.parse((await tsez(['list', '--json'], host.env)).stdout) as ListResult
    assert.deepEqual(
      after.jails.map((j) => [j.name, j.state, j.dataset]),
      [['after', 'stopped', `${ZFS_PARENT}/after`]],
    )
  })

  it('never destroys a dataset of that name that is not the killed clone', async function () {
    await killAfterClone('k2', '10.0.1.2')
    // Someone replaces the leftover clone with a dataset of their own under the same name before the sweep.
    const pool = (host.fake.read('zfs.datasets') ?? '')
      .split('\n')
      .filter((line) => !line.startsWith(`${ZFS_PARENT}/k2\t`))
    host.fake.set('zfs.datasets', [...pool.filter(Boolean), `${ZFS_PARENT}/k2\t-`].join('\n') + '\n')
    const before = zfsChanges(host).length
    const deleted = await tsez(['delete', 'k2'], host.env)
    assert.equal(deleted.exitCode, 0, deleted.stderr)
    assert.deepEqual(zfsChanges(host).slice(before), [], 'a dataset with another origin is left alone')
    assert.ok(poolNames(host).includes(`${ZFS_PARENT}/k2`))
  })
})
