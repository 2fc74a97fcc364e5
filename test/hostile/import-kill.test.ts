// `tsez import ezjail` SIGKILLed before each of its filesystem changes: every jail is imported whole or not at all,
// ezjail's files never change, and the next import (or --undo) finishes the job.
import assert from 'node:assert/strict'
import {lstat, readFile, readdir} from 'node:fs/promises'
import path from 'node:path'

import type {JailRecord} from '../../src/jail/store.js'
import type {EzjailLayout} from '../fixtures/ezjail-host.js'
import {tsez} from '../support/cli.js'
import {killedAtStep, ranThrough} from '../support/kill-run.js'
import {createEzjailHost} from '../support/ezjail-host.js'
import type {InstalledHost} from '../support/installed-host.js'
import {diffTrees, snapshotTree, type Snapshot} from '../support/tree.js'

const isRoot = process.getuid?.() === 0
const exists = async (p: string) => (await lstat(p).catch(() => undefined)) !== undefined
const JAILS = ['web', 'db', 'mail']

describe('hostile: tsez import ezjail killed at every step', () => {
  let host: InstalledHost
  let layout: EzjailLayout
  let args: string[]
  let ezjailBefore: Snapshot
  beforeEach(async function () {
    if (!isRoot) this.skip()
    ;({host, layout, args} = await createEzjailHost([
      {name: 'web', ip: '10.0.0.1', require: 'db'},
      {name: 'db', ip: '10.0.0.2', provide: 'db', fstabLines: ['/data {root}/data nullfs rw 0 0']},
      {name: 'mail', ip: '10.0.0.3', norun: true},
    ]))
    ezjailBefore = await snapshotTree(layout.dir)
  })
  afterEach(async () => host?.cleanup())

  /** Kills the import before its STEPth change; true when it ran through instead. */
  const importKilledAt = async (step: number, extra: string[] = []) => {
    const scope = {env: host.env, under: host.root}
    return ranThrough(await killedAtStep(['import', 'ezjail', ...args, ...extra], step, scope))
  }

  /** Each jail has a record with conf and fstab rendered from it, or no record; NAMES must be the recorded ones. */
  const wholeOrNothing = async () => {
    const recorded: string[] = []
    for (const name of JAILS) {
      const file = path.join(host.dirs.confdir, `${name}.json`)
      if (!(await exists(file))) continue
      recorded.push(name)
      const record = JSON.parse(await readFile(file, 'utf8')) as JailRecord
      const conf = await readFile(path.join(host.dirs.jailconf, `${name}.conf`), 'utf8')
      assert.ok(conf.includes(`path = "${record.root}"`), conf)
      assert.ok(await exists(path.join(host.dirs.fstab, `fstab.${name}`)))
    }
    const listed = await tsez(['list', '--json'], host.env)
    assert.equal(listed.exitCode, 0, listed.stderr)
    const jails = (JSON.parse(listed.stdout) as {jails: Array<{name: string; state: string}>}).jails
    const whole = jails.filter((j) => j.state !== 'incomplete').map((j) => j.name)
    assert.deepEqual(whole.sort(), recorded.sort(), 'list shows the recorded jails whole')
    // A jail killed before its record is listed as incomplete (its files are tsez's), never as a jail.
    for (const jail of jails.filter((j) => j.state === 'incomplete')) assert.ok(!recorded.includes(jail.name))
  }

  const noLeftovers = async () => {
    for (const dir of [host.dirs.dbdir, host.dirs.confdir, host.dirs.jailconf, host.dirs.fstab]) {
      const left = (await readdir(dir).catch(() => [])).filter((f) => /\.tmp-[0-9a-f]{12}$/.test(f))
      assert.deepEqual(left, [], dir)
    }
  }

  it('import: after a kill at any step, the next import finishes, and ezjail files never change', async function () {
    this.timeout(600_000)
    let step = 1
    for (; !(await importKilledAt(step)); step++) {
      await wholeOrNothing()
      assert.deepEqual(await snapshotTree(layout.dir), ezjailBefore)
      const again = await tsez(['import', 'ezjail', ...args], host.env)
      assert.equal(again.exitCode, 0, `after a kill at step ${step}: ${again.stderr}`)
      await wholeOrNothing()
      for (const name of JAILS) assert.ok(await exists(path.join(host.dirs.confdir, `${name}.json`)), name)
      await noLeftovers()
      const started = await tsez(['start'], host.env)
      assert.equal(started.exitCode, 0, started.stderr)
      assert.deepEqual(
        host.fake
          .jails()
          .map((j) => j.name)
          .sort(),
        ['db', 'web'],
      )
      await tsez(['stop', '-a'], host.env)
      const undone = await tsez(['import', 'ezjail', '--undo', ...args.slice(2)], host.env)
      assert.equal(undone.exitCode, 0, undone.stderr)
      await noLeftovers()
    }
    assert.ok(step > 8, `the import made ${step - 1} changes before it ran through`)
  })

  it('--undo after a kill at any step leaves no trace of the import', async function () {
    this.timeout(600_000)
    const before = await snapshotTree(host.root)
    // Every third step (the import test above walks them all): a minute less of the suite.
    for (let step = 1; !(await importKilledAt(step)); step += 3) {
      const undone = await tsez(['import', 'ezjail', '--undo', ...args.slice(2, 4)], host.env)
      assert.equal(undone.exitCode, 0, `after a kill at step ${step}: ${undone.stderr}`)
      const listed = await tsez(['list', '--json'], host.env)
      assert.deepEqual((JSON.parse(listed.stdout) as {jails: unknown[]}).jails, [], `after a kill at step ${step}`)
      const made =
        /^host\/(etc\/jail\.conf\.d|usr\/local\/etc\/tsez|usr\/local\/etc\/tsez\/fstab): unexpected$|: mtimeMs /
      const changed = diffTrees(before, await snapshotTree(host.root)).filter((d) => !made.test(d))
      assert.deepEqual(changed, [], `after a kill at step ${step}`)
    }
  })
})
