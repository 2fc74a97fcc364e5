// `tsez config` (no rename) SIGKILLed before each of its file-system changes: after the next command the jail is
// wholly as config left it or wholly as before (record, jail.conf and what start runs agree), nothing else changed.
import assert from 'node:assert/strict'
import {readFile} from 'node:fs/promises'
import path from 'node:path'

import {parseJailConf} from '../../src/jail/conf-parse.js'
import type {JailRecord} from '../../src/jail/store.js'
import {tsezOk} from '../support/cli.js'
import {killedAtStep, ranThrough} from '../support/kill-run.js'
import {createInstalledHost, type InstalledHost} from '../support/installed-host.js'
import {diffTrees} from '../support/tree.js'
import {isRoot, snapshotHost} from './support.js'

describe('hostile: tsez config killed at every step', () => {
  let host: InstalledHost
  before(async function () {
    if (!isRoot) this.skip() // a created jail has root-owned files
    host = await createInstalledHost()
  })
  after(async () => host?.cleanup())

  const ok = (args: string[]) => tsezOk(args, host.env)
  const files = (name: string) => ({
    record: path.join(host.dirs.confdir, `${name}.json`),
    conf: path.join(host.dirs.jailconf, `${name}.conf`),
  })
  const read = async (name: string) => ({
    record: JSON.parse(await readFile(files(name).record, 'utf8')) as JailRecord,
    conf: await readFile(files(name).conf, 'utf8'),
  })
  /** What a jail.conf tells jail(8): the facts config changes here. */
  const confFacts = (text: string) => {
    const params = parseJailConf(text)[0]?.params
    return {hostname: params?.get('host.hostname'), ip4: params?.get('ip4.addr'), level: params?.get('securelevel')}
  }
  const recordFacts = (record: JailRecord) => ({
    hostname: [record.hostname],
    ip4: record.addresses,
    level: record.params.securelevel === undefined ? undefined : [String(record.params.securelevel)],
  })

  /** Runs `tsez config ARGS` killed before its STEPth change; true when it ran through instead. */
  const configKilledAt = async (args: string[], step: number) => {
    return ranThrough(await killedAtStep(['config', ...args], step, {env: host.env, under: host.root}))
  }

  it('the next start, stop or create finds web1 old or new as a whole; start runs what its record says', async function () {
    this.timeout(600_000)
    await ok(['create', 'web1', '10.0.7.1'])
    await ok(['create', 'db1', '10.0.7.2'])
    // The next command under the lock: start the jail itself (then stopped again), stop another (a no-op), a
    // create of another jail (then deleted again).
    const nextCommands = [
      ['start', 'web1'],
      ['stop', 'db1'],
      ['create', 'c1', '10.0.7.3'],
    ]
    const outcomes = new Set<string>()
    for (let step = 1; ; step++) {
      const old = await read('web1')
      const change = [
        '--ip',
        `10.0.8.${step}`,
        '--hostname',
        `h${step}.example.org`,
        '--param',
        `securelevel=${step % 3}`,
      ]
      const before = await snapshotHost(host)
      const ranThrough = await configKilledAt(['web1', ...change], step)
      const next = nextCommands[step % nextCommands.length]!
      const result = await ok(next)

      const now = await read('web1')
      const isNew = now.record.hostname === `h${step}.example.org`
      outcomes.add(isNew ? 'new' : 'old')
      const what = `step ${step} (${isNew ? 'new' : 'old'}), then ${next.join(' ')}: ${result.stderr}`
      if (isNew) {
        const wanted = {hostname: [`h${step}.example.org`], ip4: [`10.0.8.${step}`], level: [String(step % 3)]}
        assert.deepEqual(recordFacts(now.record), wanted, what)
        assert.deepEqual(confFacts(now.conf), wanted, what)
      } else {
        assert.deepEqual(now, old, what)
      }
      if (next[0] === 'start') {
        const [jail] = host.fake.jails().filter((j) => j.name === 'web1')
        assert.deepEqual([[jail?.hostname], jail?.ip4], [[now.record.hostname], now.record.addresses], what)
        await ok(['stop', 'web1'])
      }
      if (next[0] === 'create') await ok(['delete', '-w', '--force', 'c1'])
      // Everything else is as it was: every file and entry, the running jails and the mounts. The mtimes of the
      // directories where files are renamed into place (the lock's, the records', the confs', and for create the
      // roots' and fstabs') move.
      const after = await snapshotHost(host)
      const rel = (dir: string) => path.relative(host.root, dir)
      const {dbdir, confdir, jailconf, fstab, jaildir} = host.dirs
      const ignoreMtimeOf = [dbdir, confdir, jailconf, fstab, jaildir].map(rel)
      const own = isNew ? [files('web1').record, files('web1').conf].map(rel) : []
      const changed = diffTrees(before.tree, after.tree, {ignoreMtimeOf}).filter(
        (line) => !own.some((file) => line.startsWith(`${file}: `)),
      )
      assert.deepEqual(changed, [], what)
      assert.deepEqual([after.jails, after.mounts], [before.jails, before.mounts], what)
      if (ranThrough) {
        assert.ok(step > 5, `only ${step} steps`)
        break
      }
    }
    assert.deepEqual([...outcomes].sort(), ['new', 'old'])
  })
})
