// `tsez rollback --force` SIGKILLed between stopping the jail and starting it again: the next commands know and say so.
import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {appendFile, readdir} from 'node:fs/promises'
import path from 'node:path'

import {spawnTsez, tsezOk} from '../support/cli.js'
import {createInstalledHost, type InstalledHost} from '../support/installed-host.js'
import {isRoot} from './support.js'

describe('hostile: tsez rollback --force killed between the stop and the start', () => {
  let host: InstalledHost
  beforeEach(async function () {
    if (!isRoot) this.skip() // a created jail has root-owned files
    this.timeout(120_000)
    host = await createInstalledHost()
    await ok(['create', 'web1', '10.0.9.1'])
    await ok(['create', 'db1', '10.0.9.2'])
    await appendFile(host.configFile, 'tsez_use_zfs="YES"\ntsez_zfs_parent="zroot/tsez"\n')
    const root = path.join(host.dirs.jaildir, 'web1')
    const newjail = `zroot/tsez/newjail\t${host.dirs.newjail}\n`
    host.fake.set('zfs.datasets', `zroot\t-\nzroot/tsez\t-\n${newjail}zroot/tsez/web1\t${root}\n`)
    await ok(['snapshot', 'web1', 's1'])
    await ok(['start', 'web1'])
    // The fake zfs SIGKILLs its caller once the rollback is made: web1 is stopped, not yet started again.
    host.fake.set('zfs.kill-parent-after', '1')
    host.fake.set('zfs.changes', '0')
    const killed = await spawnTsez(['rollback', '--force', 'web1', 's1'], host.env).done
    assert.equal(killed.exitCode, 128, killed.stderr)
    host.fake.unset('zfs.kill-parent-after')
    assert.equal(isRunning('web1'), false, 'the kill left web1 stopped')
  })
  afterEach(async () => host?.cleanup())

  const ok = (args: string[]) => tsezOk(args, host.env)
  /** jail(8) run by hand, as `service jail start` would: outside tsez. */
  const jailByHand = (...args: string[]) =>
    execFileSync(path.join(host.fake.binDir, 'jail'), ['-f', path.join(host.dirs.jailconf, 'web1.conf'), ...args], {
      env: host.fake.env,
    })
  const isRunning = (name: string) => host.fake.jails().some((jail) => jail.name === name)
  const notes = async () => (await readdir(host.dirs.dbdir)).filter((file) => file.startsWith('rollback-'))
  const owed = /an interrupted tsez rollback \(pid \d+, started [^)]*, to "?zroot\/tsez\/web1@s1"?\) stopped jail web1/

  it('another command warns (and starts nothing); tsez start web1 starts it and settles the note', async function () {
    this.timeout(60_000)
    for (const next of [
      ['snapshot', 'web1', 's2'],
      ['config', 'db1', '--hostname', 'db1.example.org'],
      ['start', 'db1'],
      ['create', 'app1', '10.0.9.3'],
    ]) {
      const result = await ok(next)
      assert.match(result.stderr, owed, next.join(' '))
      assert.match(result.stderr, /tsez start web1 starts it, tsez rollback web1 SNAP rolls back and starts it/)
      assert.equal(isRunning('web1'), false, `${next.join(' ')} never starts web1`)
      assert.deepEqual(await notes(), ['rollback-web1.json'])
    }
    const started = await ok(['start', 'web1'])
    assert.match(started.stderr, owed)
    assert.match(started.stderr, /tsez start starts it again/)
    assert.equal(isRunning('web1'), true)
    assert.deepEqual(await notes(), [])
    assert.doesNotMatch((await ok(['stop', 'db1'])).stderr, /rollback/)
  })

  it('tsez rollback web1 SNAP again completes it: rolled back, then started as the killed one would have', async () => {
    const dry = await ok(['rollback', '-n', 'web1', 's1'])
    assert.match(dry.stdout, /^write .*rollback-web1\.json .*\nzfs rollback .*@s1\njail -f .* -c web1\nremove /)
    assert.deepEqual(await notes(), ['rollback-web1.json'], 'a dry run changes nothing')
    const again = await ok(['rollback', 'web1', 's1'])
    assert.match(again.stderr, owed)
    assert.match(again.stderr, /this rollback starts it again afterwards/)
    assert.equal(isRunning('web1'), true)
    assert.deepEqual(await notes(), [])
  })

  it('tsez stop web1 keeps it stopped and drops the note; a later command is silent about it', async () => {
    const stopped = await ok(['stop', 'web1'])
    assert.match(stopped.stderr, /it stays stopped, as tsez stop asks/)
    assert.equal(isRunning('web1'), false)
    assert.deepEqual(await notes(), [])
    assert.doesNotMatch((await ok(['snapshot', 'web1', 's3'])).stderr, /rollback/)
  })

  it('a note whose jail runs again (started outside tsez) or was deleted is removed, with a line', async function () {
    this.timeout(60_000)
    jailByHand('-c', 'web1')
    assert.match((await ok(['stop', 'db1'])).stderr, /stopped jail web1; it runs again, the note removed/)
    assert.deepEqual(await notes(), [])

    jailByHand('-r', 'web1')
    host.fake.set('zfs.kill-parent-after', '1')
    host.fake.set('zfs.changes', '0')
    await ok(['start', 'web1'])
    assert.equal((await spawnTsez(['rollback', '--force', 'web1', 's1'], host.env).done).exitCode, 128)
    host.fake.unset('zfs.kill-parent-after')
    await ok(['delete', '-w', '--force', 'web1'])
    const next = await ok(['config', 'db1', '--norun'])
    assert.match(next.stderr, /stopped jail web1; the jail is gone, the note removed/)
    assert.deepEqual(await notes(), [])
  })
})
