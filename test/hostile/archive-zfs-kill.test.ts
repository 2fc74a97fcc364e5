// `tsez archive` and `tsez restore` on ZFS SIGKILLed after each zfs change and at a spread of file changes: no
// partial archive under its final name, no half jail, and the next command leaves the pool and dirs as before.
import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {lstat, readdir, writeFile} from 'node:fs/promises'
import path from 'node:path'

import type {ArchiveResult} from '../../src/archive/service.js'
import type {ListResult} from '../../src/list/service.js'
import {spawnTsez, tsez} from '../support/cli.js'
import {NEVER, killedAtStep} from '../support/kill-run.js'
import {createInstalledHost, type InstalledHost} from '../support/installed-host.js'
import {diffTrees, snapshotTree, type Snapshot} from '../support/tree.js'
import {ZFS_PARENT, poolNames, useZfs} from '../support/zfs-host.js'

const isRoot = process.getuid?.() === 0
const exists = async (p: string) => (await lstat(p).catch(() => undefined)) !== undefined
const secondLater = () => new Promise((resolve) => setTimeout(resolve, 1100))

describe('hostile: tsez archive and restore on ZFS killed part way', () => {
  let host: InstalledHost
  let pool: string[]
  let tree: Snapshot
  before(async function () {
    if (!isRoot) this.skip()
    this.timeout(300_000)
    host = await useZfs(await createInstalledHost())
    assert.equal((await tsez(['create', 'web1', '10.0.30.1'], host.env)).exitCode, 0)
    const root = path.join(host.dirs.jaildir, 'web1')
    for (let i = 0; i < 20; i++) await writeFile(path.join(root, `file-${i}`), `${i}\n`)
    assert.equal((await tsez(['start', 'web1'], host.env)).exitCode, 0)
    tree = await snapshotTree(root)
    pool = poolNames(host)
  })
  after(async function () {
    this.timeout(300_000)
    await host?.cleanup()
  })

  const ok = async (args: string[]) => {
    const result = await tsez(args, host.env)
    assert.equal(result.exitCode, 0, `${args.join(' ')}: ${result.stderr}`)
    return result
  }
  const killedAt = (args: string[], step: number) =>
    killedAtStep(args, step, {env: host.env, under: host.root, sync: true})
  /** Runs ARGS in a process of its own that the fake zfs SIGKILLs once it made its Nth pool change. */
  const killedAfterZfs = async (args: string[], changes: number) => {
    host.fake.set('zfs.kill-parent-after', String(changes))
    host.fake.set('zfs.changes', '0')
    try {
      return await spawnTsez(args, host.env).done
    } finally {
      host.fake.unset('zfs.kill-parent-after')
    }
  }
  const spread = (total: number) => [
    ...new Set([1, 2, 3, 5, ...[0.2, 0.4, 0.6, 0.8].map((f) => Math.round(total * f)), total - 2, total - 1]),
  ]
  const hidden = async () => (await readdir(host.dirs.jaildir)).filter((name) => name.startsWith('.'))
  const journals = async () => (await readdir(host.dirs.dbdir)).filter((n) => /^(archive|create)-/.test(n))

  /** Every archive in DIR complete and checksummed; none but under its final name. */
  const archivesSound = async (dir: string, what: string) => {
    const names = await readdir(dir).catch(() => [] as string[])
    for (const name of names.filter((n) => n.endsWith('.tsez.tar.xz'))) {
      assert.ok(names.includes(`${name}.sha256`), `${what}: ${name} without its sha256`)
      execFileSync('sha256sum', ['-c', `${name}.sha256`], {cwd: dir})
    }
    return names.filter((n) => n.endsWith('.tsez.tar.xz'))
  }
  /** After a killed archive: the next one runs through and leaves the pool, the jails' dir and dbdir as before. */
  const nextArchiveSweeps = async (dir: string, what: string) => {
    await archivesSound(dir, what)
    await secondLater()
    await ok(['archive', '-d', dir, 'web1'])
    assert.ok((await archivesSound(dir, `${what}, the next archive`)).length > 0)
    assert.deepEqual(poolNames(host), pool, `${what}: the pool as before`)
    assert.deepEqual(await hidden(), [], `${what}: the clone's mount directory left`)
    assert.deepEqual(await journals(), [], `${what}: a journal left`)
  }

  it('archive killed after each zfs change: never an archive under its final name; the next one sweeps', async function () {
    this.timeout(600_000)
    for (const changes of [1, 2, 3, 4]) {
      const dir = path.join(host.root, `archives-zfs-${changes}`)
      const killed = await killedAfterZfs(['archive', '-d', dir, 'web1'], changes)
      assert.notEqual(killed.exitCode, 0, `after zfs change ${changes}: not killed: ${killed.stderr}`)
      assert.deepEqual(await archivesSound(dir, `after zfs change ${changes}`), [])
      if (changes === 2) {
        await tsez(['doctor', '--fix'], host.env)
        assert.deepEqual(poolNames(host), pool, 'doctor --fix destroyed the clone and the snapshot')
      }
      await nextArchiveSweeps(dir, `after zfs change ${changes}`)
    }
  })

  it('archive killed at a spread of file changes: the next archive sweeps the clone and snapshot', async function () {
    this.timeout(900_000)
    const probe = await killedAt(['archive', '-d', path.join(host.root, 'probe'), 'web1'], NEVER)
    assert.equal(probe.exitCode, 0, probe.stderr)
    const total = probe.changes
    assert.ok(total >= 4, `an archive on ZFS made only ${total} changes`)
    for (const step of spread(total)) {
      const dir = path.join(host.root, `archives-step-${step}`)
      const killed = await killedAt(['archive', '-d', dir, 'web1'], step)
      assert.equal(killed.exitCode, 128, `step ${step} of ${total}: not killed: ${killed.stderr}`)
      await nextArchiveSweeps(dir, `step ${step} of ${total}`)
    }
  })

  it("a killed archive's clone and snapshot go with the next command of any kind: delete -w runs through", async function () {
    this.timeout(300_000)
    await ok(['create', 'app1', '10.0.30.3'])
    const killed = await killedAfterZfs(['archive', '-d', path.join(host.root, 'archives-app1'), 'app1'], 2)
    assert.notEqual(killed.exitCode, 0, `not killed: ${killed.stderr}`)
    assert.ok(
      poolNames(host).some((name) => name.startsWith(`${ZFS_PARENT}/.tsez-archive-app1.`)),
      'the clone is left',
    )
    const doctor = await tsez(['doctor'], host.env)
    assert.match(doctor.stdout + doctor.stderr, /interrupted archive \S+\/archive-app1\.json/)
    const deleted = await ok(['delete', '-w', '--force', 'app1'])
    assert.match(deleted.stderr, /destroyed dataset zroot\/tsez\/\.tsez-archive-app1\..*interrupted tsez archive/)
    assert.deepEqual(poolNames(host), pool)
    assert.deepEqual(await hidden(), [])
    assert.deepEqual(await journals(), [])
  })

  /** After a killed restore of `copy`: whole or absent; the next restore finishes; then deleted, the pool as before. */
  const nextRestoreFinishes = async (args: string[], what: string) => {
    const copyRoot = path.join(host.dirs.jaildir, 'copy')
    const record = await exists(path.join(host.dirs.confdir, 'copy.json'))
    if (record) assert.deepEqual(diffTrees(tree, await snapshotTree(copyRoot)), [], `${what}: half a jail`)
    const listed = JSON.parse((await ok(['list', '--json'])).stdout) as ListResult
    const copy = listed.jails.find((jail) => jail.name === 'copy')
    assert.equal(copy !== undefined && copy.state !== 'incomplete', record, `${what}: listed as ${copy?.state}`)
    const again = await tsez(args, host.env)
    assert.equal(again.exitCode, record ? 2 : 0, `${what}: ${again.stderr}`)
    assert.deepEqual(diffTrees(tree, await snapshotTree(copyRoot)), [], `${what}: the jail after the next restore`)
    const restored = JSON.parse((await ok(['list', '--json'])).stdout) as ListResult
    assert.equal(restored.jails.find((jail) => jail.name === 'copy')?.dataset, `${ZFS_PARENT}/copy`, what)
    assert.deepEqual(poolNames(host).sort(), [...pool, `${ZFS_PARENT}/copy`].sort(), `${what}: the pool`)
    assert.deepEqual(await hidden(), [], `${what}: staging left`)
    await ok(['delete', '-w', '--force', 'copy'])
    assert.deepEqual(poolNames(host), pool, `${what}: the pool after delete`)
    assert.deepEqual(await journals(), [], what)
  }

  it('restore killed after each zfs change and at a spread of file changes: whole or swept', async function () {
    this.timeout(900_000)
    const archived = JSON.parse((await ok(['archive', '--json', 'web1'])).stdout) as ArchiveResult
    const args = ['restore', '--name', 'copy', '--ip', '10.0.30.2', archived.jails[0]?.file ?? '']
    for (const changes of [1, 2]) {
      const killed = await killedAfterZfs(args, changes)
      assert.notEqual(killed.exitCode, 0, `after zfs change ${changes}: not killed: ${killed.stderr}`)
      assert.equal(await exists(path.join(host.dirs.confdir, 'copy.json')), false, 'no record yet')
      await nextRestoreFinishes(args, `after zfs change ${changes}`)
    }
    const probe = await killedAt(args, NEVER)
    assert.equal(probe.exitCode, 0, probe.stderr)
    const total = probe.changes
    assert.ok(total > 20, `a restore made only ${total} changes`)
    await ok(['delete', '-w', '--force', 'copy'])
    for (const step of spread(total)) {
      const killed = await killedAt(args, step)
      assert.equal(killed.exitCode, 128, `step ${step} of ${total}: not killed: ${killed.stderr}`)
      await nextRestoreFinishes(args, `step ${step} of ${total}`)
    }
  })
})
