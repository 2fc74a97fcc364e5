// `tsez clone` (UFS and ZFS) and `tsez rollback --force` SIGKILLed at a spread of steps: no half jail, the
// dataset either as it was or as the snapshot, and the next command sweeps or finishes what was left.
import assert from 'node:assert/strict'
import {lstat, readdir, writeFile} from 'node:fs/promises'
import path from 'node:path'

import type {ListResult} from '../../src/list/service.js'
import {tsez, tsezOk} from '../support/cli.js'
import {NEVER, killedAtStep} from '../support/kill-run.js'
import {createInstalledHost, type InstalledHost} from '../support/installed-host.js'
import {diffTrees, snapshotTree, type Snapshot} from '../support/tree.js'
import {ZFS_PARENT, poolNames, useZfs} from '../support/zfs-host.js'

const isRoot = process.getuid?.() === 0
const exists = async (p: string) => (await lstat(p).catch(() => undefined)) !== undefined
const withoutFirstboot = (tree: Snapshot): Snapshot =>
  new Map([...tree].filter(([rel]) => !rel.startsWith('var/db/tsez/firstboot')))

describe('hostile: tsez clone and rollback killed part way', () => {
  let host: InstalledHost
  beforeEach(async function () {
    if (!isRoot) this.skip()
    this.timeout(300_000)
    host = await createInstalledHost()
  })
  afterEach(async function () {
    this.timeout(300_000)
    await host?.cleanup()
  })

  const ok = (args: string[]) => tsezOk(args, host.env)
  const killedAt = (args: string[], step: number) =>
    killedAtStep(args, step, {env: host.env, under: host.root, sync: true})
  const hidden = async () => (await readdir(host.dirs.jaildir)).filter((name) => name.startsWith('.'))
  const listedState = async (name: string) => {
    const listed = JSON.parse((await ok(['list', '--json'])).stdout) as ListResult
    return listed.jails.find((jail) => jail.name === name)?.state
  }

  /** Kills `clone web1 copy` at STEPS; after each, the clone whole or absent, and the next clone finishes. */
  const killClones = async (steps: number[], total: number, tree: Snapshot) => {
    const args = ['clone', 'web1', 'copy', '10.0.14.2']
    const copyRoot = path.join(host.dirs.jaildir, 'copy')
    for (const step of steps) {
      const killed = await killedAt(args, step)
      assert.equal(killed.exitCode, 128, `step ${step} of ${total}: not killed: ${killed.stderr}`)
      const record = await exists(path.join(host.dirs.confdir, 'copy.json'))
      if (record) assert.deepEqual(diffTrees(tree, withoutFirstboot(await snapshotTree(copyRoot))), [], `step ${step}`)
      const state = await listedState('copy')
      assert.equal(state !== undefined && state !== 'incomplete', record, `step ${step}: listed as ${state}`)
      const again = await tsez(args, host.env)
      assert.equal(again.exitCode, record ? 2 : 0, `step ${step}: ${again.stderr}`)
      assert.deepEqual(diffTrees(tree, withoutFirstboot(await snapshotTree(copyRoot))), [], `step ${step}: after`)
      assert.deepEqual(await hidden(), [], `step ${step}: staging left`)
      await ok(['delete', '-w', '--force', 'copy'])
      const journals = (await readdir(host.dirs.dbdir)).filter((n) => n.startsWith('create-'))
      assert.deepEqual(journals, [], `step ${step}`)
    }
  }

  it('clone on UFS: the new jail whole or not there at every step; the next clone finishes', async function () {
    this.timeout(1_200_000)
    await ok(['create', '-f', 'webserver', 'web1', '10.0.14.1'])
    const root = path.join(host.dirs.jaildir, 'web1')
    for (let i = 0; i < 20; i++) await writeFile(path.join(root, `file-${i}`), `${i}\n`)
    const tree = withoutFirstboot(await snapshotTree(root))
    const probe = await killedAt(['clone', 'web1', 'copy', '10.0.14.2'], NEVER)
    assert.equal(probe.exitCode, 0, probe.stderr)
    const total = probe.changes
    assert.ok(total > 50, `a clone made only ${total} changes`)
    await ok(['delete', '-w', '--force', 'copy'])
    const fractions = [0.1, 0.3, 0.5, 0.7, 0.9].map((f) => Math.round(total * f))
    await killClones([1, 2, 3, 5, ...fractions, total - 3, total - 1], total, tree)
  })

  it('clone on ZFS: every step; no clone dataset or snapshot outlives a killed clone past the next one', async function () {
    this.timeout(1_200_000)
    host = await useZfs(host)
    await ok(['create', 'web1', '10.0.14.1'])
    const root = path.join(host.dirs.jaildir, 'web1')
    await writeFile(path.join(root, 'data'), 'zfs\n')
    const tree = withoutFirstboot(await snapshotTree(root))
    const probe = await killedAt(['clone', 'web1', 'copy', '10.0.14.2'], NEVER)
    assert.equal(probe.exitCode, 0, probe.stderr)
    const total = probe.changes
    await ok(['delete', '-w', '--force', 'copy'])
    const steps = Array.from({length: total - 1}, (_, i) => i + 1)
    await killClones(steps, total, tree)
    await ok(['clone', 'web1', 'last', '10.0.14.3'])
    const clones = poolNames(host).filter((name) => name.includes('@tsez-clone-'))
    assert.deepEqual(
      clones.map((name) => name.replace(/-\d{8}T\d{6}Z$/, '')),
      [`${ZFS_PARENT}/web1@tsez-clone-last`],
      'only the snapshot the last clone stands on',
    )
    assert.equal(poolNames(host).includes(`${ZFS_PARENT}/copy`), false)
  })

  it('rollback --force: the dataset as it was or as the snapshot at every step; the jail can start', async function () {
    this.timeout(1_200_000)
    host = await useZfs(host)
    await ok(['create', 'web1', '10.0.14.1'])
    const root = path.join(host.dirs.jaildir, 'web1')
    await writeFile(path.join(root, 'data'), 'at the snapshot\n')
    await ok(['snapshot', 'web1', 'base'])
    const atSnapshot = await snapshotTree(root)
    const args = ['rollback', '--force', '--destroy-later', 'web1', 'base']
    const change = async () => {
      await writeFile(path.join(root, 'data'), 'changed later\n')
      await ok(['snapshot', 'web1', `later-${Date.now()}`])
      await ok(['start', 'web1'])
      return snapshotTree(root)
    }
    await change()
    const probe = await killedAt(args, NEVER)
    assert.equal(probe.exitCode, 0, probe.stderr)
    const total = probe.changes
    for (let step = 1; step <= total; step++) {
      const changed = await change()
      const killed = await killedAt(args, step)
      assert.equal(killed.exitCode, 128, `step ${step} of ${total}: not killed: ${killed.stderr}`)
      const now = await snapshotTree(root)
      const asSnapshot = diffTrees(atSnapshot, now, {ignoreMtimeOf: ['.']}).length === 0
      const asBefore = diffTrees(changed, now, {ignoreMtimeOf: ['.']}).length === 0
      assert.ok(asSnapshot || asBefore, `step ${step}: a tree that is neither`)
      if (host.fake.jails().some((jail) => jail.name === 'web1')) await ok(['stop', 'web1'])
      await ok(['rollback', '--destroy-later', 'web1', 'base'])
      assert.deepEqual(diffTrees(atSnapshot, await snapshotTree(root), {ignoreMtimeOf: ['.']}), [], `step ${step}`)
      await ok(['start', 'web1'])
      await ok(['stop', 'web1'])
    }
  })
})
