// `delete -w` SIGKILLed before chosen file-system changes (kill-at-step.ts, synchronous tree removal counted): the
// jail stays listed until its record goes, the next delete finishes it, and nothing outside the jail is touched.
import assert from 'node:assert/strict'
import {lstat, mkdir, readdir, writeFile} from 'node:fs/promises'
import path from 'node:path'

import type {ListResult} from '../../src/list/service.js'
import {tsez, tsezOk} from '../support/cli.js'
import {NEVER, killedAtStep} from '../support/kill-run.js'
import {createInstalledHost, type InstalledHost} from '../support/installed-host.js'
import {diffTrees, snapshotTree} from '../support/tree.js'

const isRoot = process.getuid?.() === 0
const exists = async (p: string) => (await lstat(p).catch(() => undefined)) !== undefined

describe('hostile: tsez delete -w killed part way', () => {
  let host: InstalledHost
  before(async function () {
    if (!isRoot) this.skip() // a created jail has root-owned files
    host = await createInstalledHost()
  })
  after(async () => host?.cleanup())

  const ok = (args: string[]) => tsezOk(args, host.env)
  const jailPaths = (name: string) => [
    path.join(host.dirs.jaildir, name),
    path.join(host.dirs.jailconf, `${name}.conf`),
    path.join(host.dirs.fstab, `fstab.${name}`),
    path.join(host.dirs.confdir, `${name}.json`),
  ]

  /** A jail whose root holds a few hundred files of its users' (so the removal has many steps to be killed in). */
  const createBusyJail = async (name: string, address: string) => {
    await ok(['create', name, address])
    const data = path.join(host.dirs.jaildir, name, 'var', 'userdata')
    for (let dir = 0; dir < 10; dir++) {
      await mkdir(path.join(data, `d${dir}`), {recursive: true})
      for (let file = 0; file < 20; file++) await writeFile(path.join(data, `d${dir}`, `f${file}`), `${dir}/${file}\n`)
    }
  }

  /** Runs `delete -w --force NAME`, killed before its STEPth change; returns the exit code and stderr. */
  const deleteKilledAt = (name: string, step: number) =>
    killedAtStep(['delete', '-w', '--force', name], step, {env: host.env, under: host.root, sync: true})

  it('leaves the jail listed until its record goes, and the next delete -w removes all of it', async function () {
    this.timeout(600_000)
    await ok(['create', 'keeper', '10.0.3.1'])
    // How many changes a whole delete makes: run one through and read kill-at-step's count.
    await createBusyJail('probe', '10.0.3.2')
    const probe = await deleteKilledAt('probe', NEVER)
    assert.equal(probe.exitCode, 0, probe.stderr)
    const total = probe.changes
    assert.ok(total > 200, `a delete of a busy jail made only ${total} changes`)
    const steps = [1, 2, 3, 4, ...[0.1, 0.3, 0.5, 0.7, 0.9].map((f) => Math.round(total * f)), total - 2, total - 1]

    const keeperRoot = path.join(host.dirs.jaildir, 'keeper')
    const keeperBefore = await snapshotTree(keeperRoot)
    for (const [i, step] of steps.entries()) {
      const name = `v${i}`
      await createBusyJail(name, `10.0.4.${i + 1}`)
      const killed = await deleteKilledAt(name, step)
      assert.equal(killed.exitCode, 128, `step ${step} of ${total}: not killed: ${killed.stderr}`)
      const listed = JSON.parse((await ok(['list', '--json'])).stdout) as ListResult
      const recordLeft = await exists(path.join(host.dirs.confdir, `${name}.json`))
      assert.equal(
        listed.jails.some((jail) => jail.name === name),
        recordLeft,
        `step ${step}: list shows ${name} exactly while its record is there`,
      )
      const again = await tsez(['delete', '-w', '--force', name], host.env)
      if (recordLeft) assert.equal(again.exitCode, 0, `step ${step}: ${again.stderr}`)
      for (const left of jailPaths(name)) assert.equal(await exists(left), false, `step ${step}: ${left} is left`)
      const strays = (await readdir(host.dirs.jaildir)).filter((entry) => entry.startsWith('.'))
      assert.deepEqual(strays, [], `step ${step}: hidden leftovers in the jail directory`)
    }
    assert.deepEqual(diffTrees(keeperBefore, await snapshotTree(keeperRoot)), [])
    await ok(['start', 'keeper'])
  })
})
