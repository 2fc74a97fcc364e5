// tsez install on ZFS: PARENT/basejail and PARENT/newjail built in staging datasets and swapped in by zfs rename.
import assert from 'node:assert/strict'
import {appendFile, lstat, readFile, readdir} from 'node:fs/promises'
import path from 'node:path'

import {tsez} from '../support/cli.js'
import {createTestHost, installArgs, type TestHost} from '../support/test-host.js'

const PARENT = 'zroot/tsez'

describe('tsez install on ZFS', function () {
  let host: TestHost

  beforeEach(async function () {
    host = await createTestHost()
    await appendFile(host.configFile, `tsez_use_zfs="YES"\ntsez_zfs_parent="${PARENT}"\n`)
    host.fake.set('zfs.datasets', `zroot\t-\n${PARENT}\t-\n`)
  })
  afterEach(async () => host?.cleanup())

  /** name<TAB>mountpoint<TAB>origin of every file system, and the snapshots' names. */
  const pool = () => ({
    datasets: (host.fake.read('zfs.datasets') ?? '')
      .split('\n')
      .filter(Boolean)
      .map((line) => line.split('\t').slice(0, 3).join(' ')),
    snapshots: (host.fake.read('zfs.snapshots') ?? '')
      .split('\n')
      .filter(Boolean)
      .map((line) => line.split('\t')[0]),
  })
  const changes = () =>
    host.fake
      .calls('zfs')
      .filter(([, command]) => command !== 'list' && command !== 'get')
      .map((call) => call.slice(1).join(' '))
  const install = async (...extra: string[]) => tsez(installArgs(host, '--no-patch', ...extra), host.env)
  const version = () => readFile(path.join(host.dirs.basejail, 'bin/freebsd-version'), 'utf8')

  it('makes the two datasets at tsez_basejail and tsez_newjail, by create, copy and rename', async function () {
    const installed = await install()
    assert.equal(installed.exitCode, 0, installed.stderr)
    const staging = path.join(host.dirs.jaildir, '.tsez-staging')
    assert.deepEqual(changes(), [
      `create -o mountpoint=${staging}/zfs-new-basejail ${PARENT}/basejail.tsez-new`,
      `create -o mountpoint=${staging}/zfs-new-newjail ${PARENT}/newjail.tsez-new`,
      `rename ${PARENT}/basejail.tsez-new ${PARENT}/basejail`,
      `set mountpoint=${host.dirs.basejail} ${PARENT}/basejail`,
      `rename ${PARENT}/newjail.tsez-new ${PARENT}/newjail`,
      `set mountpoint=${host.dirs.newjail} ${PARENT}/newjail`,
    ])
    assert.deepEqual(pool().datasets.slice(2), [
      `${PARENT}/basejail ${host.dirs.basejail} -`,
      `${PARENT}/newjail ${host.dirs.newjail} -`,
    ])
    assert.match(await version(), /14\.3-RELEASE/)
    assert.equal((await lstat(path.join(host.dirs.newjail, 'bin'))).isSymbolicLink(), true, 'the newjail links bin')
    assert.deepEqual(
      (await readdir(host.dirs.jaildir)).filter((entry) => entry.startsWith('.')),
      [],
    )
  })

  it('install --force keeps the newjail that jails were cloned from, renamed aside; the old basejail goes', async function () {
    assert.equal((await install()).exitCode, 0)
    const created = await tsez(['create', 'web1', '10.0.0.1'], host.env)
    assert.equal(created.exitCode, 0, created.stderr)
    const [taken] = pool().snapshots
    const again = await install('--force')
    assert.equal(again.exitCode, 0, again.stderr)
    assert.match(again.stderr, /kept the previous newjail as zroot\/tsez\/newjail-\d{8}T\d{6}Z: jails were cloned from/)
    const aside = pool().datasets.find((line) => /^zroot\/tsez\/newjail-\d/.test(line)) ?? ''
    assert.match(aside, / none -$/)
    const keptName = aside.split(' ')[0] ?? ''
    assert.ok(pool().snapshots.includes(`${keptName}@${taken?.split('@')[1]}`), "the jail's origin snapshot is kept")
    assert.ok(pool().datasets.includes(`${PARENT}/web1 ${host.dirs.jaildir}/web1 ${keptName}@${taken?.split('@')[1]}`))
    assert.ok(!pool().datasets.some((line) => line.includes('.tsez-')), 'no staging or old dataset is left')
    assert.equal(pool().datasets.filter((line) => line.startsWith(`${PARENT}/basejail`)).length, 1)
    const next = await tsez(['create', 'web2', '10.0.0.2'], host.env)
    assert.equal(next.exitCode, 0, next.stderr)
  })

  for (const failing of ['rename', 'set']) {
    it(`a failing zfs ${failing} during the swap leaves the previous install as it was`, async function () {
      assert.equal((await install()).exitCode, 0)
      const before = {pool: pool(), version: await version(), record: await readFile(installRecord(host), 'utf8')}
      host.fake.set('zfs.fail', failing)
      const failed = await install('--force')
      assert.equal(failed.exitCode, 1)
      host.fake.unset('zfs.fail')
      assert.deepEqual(pool().datasets, before.pool.datasets)
      assert.equal(await version(), before.version)
      assert.equal(await readFile(installRecord(host), 'utf8'), before.record)
      assert.deepEqual(
        (await readdir(host.dirs.jaildir)).filter((entry) => entry.startsWith('.')),
        [],
      )
    })
  }
})

function installRecord(host: TestHost): string {
  return path.join(host.dirs.dbdir, 'release.json')
}
