// tsez create on ZFS SIGKILLed while its guessed clone waits for the list's verdict, or at any step after: the next
// command destroys the clone this create marked, and never a dataset of that name it did not make.
import assert from 'node:assert/strict'
import {execFile} from 'node:child_process'
import {lstat, readFile, readdir, writeFile} from 'node:fs/promises'
import path from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'
import {promisify} from 'node:util'

import {journalFile} from '../../src/jail/journal.js'
import {spawnTsez, tsez} from '../support/cli.js'
import {NEVER, killedAtStep} from '../support/kill-run.js'
import {createInstalledHost, type InstalledHost} from '../support/installed-host.js'
import {ZFS_PARENT, poolNames, useZfs, zfsChanges} from '../support/zfs-host.js'

const exec = promisify(execFile)
const exists = async (p: string) => (await lstat(p).catch(() => undefined)) !== undefined

describe('hostile: tsez create on ZFS killed around its guessed clone', function () {
  let host: InstalledHost
  let first: string

  beforeEach(async function () {
    this.timeout(120_000)
    host = await useZfs(await createInstalledHost())
    const created = await tsez(['create', 'web1', '10.0.9.1'], host.env)
    assert.equal(created.exitCode, 0, created.stderr)
    first =
      zfsChanges(host)
        .find((line) => line.startsWith('snapshot '))
        ?.split(' ')[1] ?? ''
  })
  afterEach(async function () {
    this.timeout(120_000)
    await host?.cleanup()
  })

  const ok = async (args: string[]) => {
    const result = await tsez(args, host.env)
    assert.equal(result.exitCode, 0, `${args.join(' ')}: ${result.stderr}`)
    return result
  }
  const journals = async () => (await readdir(host.dirs.dbdir)).filter((name) => name.startsWith('create-'))
  const journalOf = async (name: string) =>
    JSON.parse(await readFile(journalFile(host.config, name), 'utf8')) as {dataset?: Record<string, string>}

  it('killed after the clone, the list still running: the next command destroys that clone by its mark', async function () {
    this.timeout(120_000)
    host.fake.set('zfs.list.sleep', '3')
    host.fake.set('zfs.changes', '0')
    host.fake.set('zfs.kill-parent-after', '1')
    const killed = await killedAtStep(['create', 'k1', '10.0.9.2'], NEVER, {env: host.env, under: host.root})
    host.fake.unset('zfs.kill-parent-after')
    host.fake.unset('zfs.list.sleep')
    assert.equal(killed.exitCode, 128, `not killed: ${killed.stderr}`)
    assert.ok(poolNames(host).includes(`${ZFS_PARENT}/k1`), 'the clone was made')
    const {dataset} = await journalOf('k1')
    assert.equal(dataset?.name, `${ZFS_PARENT}/k1`)
    assert.equal(dataset?.property, 'tsez:create')
    assert.match(dataset?.mark ?? '', /^[0-9a-f]{8}$/)
    const before = host.fake.calls('zfs').length
    const after = await ok(['create', 'after', '10.0.9.3'])
    assert.match(after.stderr, /removed dataset zroot\/tsez\/k1, left by an interrupted tsez create/)
    const sweep = host.fake.calls('zfs').slice(before, before + 3)
    assert.deepEqual(sweep[1], ['zfs', 'get', '-H', '-o', 'value', 'tsez:create', `${ZFS_PARENT}/k1`])
    assert.deepEqual(sweep[2], ['zfs', 'destroy', `${ZFS_PARENT}/k1`])
    assert.ok(!poolNames(host).includes(`${ZFS_PARENT}/k1`))
    assert.equal(await exists(path.join(host.dirs.jaildir, 'k1')), false)
    assert.deepEqual(await journals(), [])
  })

  it('killed after the clone onto an existing dataset failed: that dataset is never destroyed', async function () {
    this.timeout(120_000)
    const elsewhere = path.join(host.root, 'elsewhere')
    await exec('zfs', ['clone', '-o', `mountpoint=${elsewhere}`, first, `${ZFS_PARENT}/web2`], {
      env: {...process.env, ...host.env},
    })
    host.fake.set('zfs.list.sleep', '8')
    const before = host.fake.calls('zfs').length
    const {child, done} = spawnTsez(['create', 'web2', '10.0.9.4'], host.env)
    const cloning = () =>
      host.fake
        .calls('zfs')
        .slice(before)
        .some((call) => call[1] === 'clone' && call.at(-1) === `${ZFS_PARENT}/web2`)
    for (let waited = 0; !cloning(); waited += 50) {
      assert.ok(waited < 7_000, 'no clone while the list ran')
      await sleep(50)
    }
    await sleep(300)
    child.kill('SIGKILL')
    assert.equal((await done).exitCode, 128)
    host.fake.unset('zfs.list.sleep')
    assert.deepEqual(await journals(), ['create-web2.json'], 'killed before the verdict')
    const swept = await ok(['create', 'other', '10.0.9.5'])
    assert.doesNotMatch(swept.stderr, /removed dataset/)
    assert.ok(!zfsChanges(host).includes(`destroy ${ZFS_PARENT}/web2`))
    assert.ok(poolNames(host).includes(`${ZFS_PARENT}/web2`))
    assert.ok(await exists(path.join(elsewhere, 'etc')), 'its tree is intact')
    assert.deepEqual(await journals(), [])
  })

  it('killed at every step of a create re-cloned after a change: whole or gone, the next create finishes', async function () {
    this.timeout(1_200_000)
    const args = ['create', 'k3', '10.0.9.6']
    const killedAt = (step: number) => killedAtStep(args, step, {env: host.env, under: host.root, sync: true})
    let change = 0
    const changeTemplate = () => writeFile(path.join(host.dirs.newjail, 'etc/motd.template'), `change ${++change}\n`)
    await changeTemplate()
    const probe = await killedAt(NEVER)
    assert.equal(probe.exitCode, 0, probe.stderr)
    const total = probe.changes
    assert.ok(total >= 5, `a create made only ${total} changes`)
    await ok(['delete', '-w', '--force', 'k3'])
    for (let step = 1; step <= total; step++) {
      await changeTemplate()
      const killed = await killedAt(step)
      assert.equal(killed.exitCode, 128, `step ${step} of ${total}: not killed: ${killed.stderr}`)
      const committed = await exists(path.join(host.dirs.confdir, 'k3.json'))
      const again = await tsez(args, host.env)
      assert.equal(again.exitCode, committed ? 2 : 0, `step ${step}: ${again.stderr}`)
      const motd = await readFile(path.join(host.dirs.jaildir, 'k3/etc/motd.template'), 'utf8')
      assert.equal(motd, `change ${change}\n`, `step ${step}: the jail is a clone of the newjail as it is`)
      await ok(['delete', '-w', '--force', 'k3'])
      assert.ok(!poolNames(host).includes(`${ZFS_PARENT}/k3`), `step ${step}`)
      assert.deepEqual(await journals(), [], `step ${step}`)
    }
  })
})
