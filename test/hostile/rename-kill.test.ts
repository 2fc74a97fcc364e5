import assert from 'node:assert/strict'
import {lstat, readFile, readdir} from 'node:fs/promises'
import path from 'node:path'

import {parseJailConf} from '../../src/jail/conf-parse.js'
import type {JailRecord} from '../../src/jail/store.js'
import type {ListResult} from '../../src/list/service.js'
import {tsez, tsezOk} from '../support/cli.js'
import {killedAtStep, ranThrough} from '../support/kill-run.js'
import {createInstalledHost, type InstalledHost} from '../support/installed-host.js'

const isRoot = process.getuid?.() === 0
const exists = async (p: string) => (await lstat(p).catch(() => undefined)) !== undefined

// `config --rename` SIGKILLed before each of its filesystem changes in turn (kill-at-step.ts): whatever runs next
// under the host lock must leave one whole jail, under exactly one name, that starts.
describe('hostile: tsez config --rename killed at every step', () => {
  let host: InstalledHost
  beforeEach(async function () {
    if (!isRoot) this.skip() // a created jail has root-owned files
    host = await createInstalledHost()
  })
  afterEach(async () => host?.cleanup())

  const ok = (args: string[]) => tsezOk(args, host.env)
  const record = async (name: string) =>
    JSON.parse(await readFile(path.join(host.dirs.confdir, `${name}.json`), 'utf8')) as JailRecord

  /** Kills `tsez config FROM --rename TO` before its STEPth change; true when it ran through instead. */
  const renameKilledAt = async (from: string, to: string, step: number) => {
    return ranThrough(await killedAtStep(['config', from, '--rename', to], step, {env: host.env, under: host.root}))
  }

  /** Exactly one of NAMES is a jail, with record, conf, fstab and root agreeing; the other has nothing. */
  const wholeJail = async (names: string[], rootOf: (name: string) => string) => {
    const present = []
    for (const name of names) if (await exists(path.join(host.dirs.confdir, `${name}.json`))) present.push(name)
    assert.equal(present.length, 1, `records for ${present.join(', ')}`)
    const [name = ''] = present
    const saved = await record(name)
    assert.equal(saved.root, rootOf(name))
    assert.ok(await exists(path.join(saved.root, 'etc')), `${saved.root} is the jail's root`)
    const [conf] = parseJailConf(await readFile(path.join(host.dirs.jailconf, `${name}.conf`), 'utf8'))
    assert.deepEqual([conf?.name, conf?.params.get('path')], [name, [saved.root]])
    const fstab = await readFile(path.join(host.dirs.fstab, `fstab.${name}`), 'utf8')
    assert.ok(fstab.includes(`\t${saved.root}/basejail\tnullfs\tro`), fstab)
    for (const gone of names.filter((n) => n !== name)) {
      for (const file of [`${host.dirs.jailconf}/${gone}.conf`, `${host.dirs.fstab}/fstab.${gone}`]) {
        assert.equal(await exists(file), false, `${file} is left`)
      }
      if (rootOf(gone) !== saved.root) assert.equal(await exists(rootOf(gone)), false, `${rootOf(gone)} is left`)
    }
    assert.deepEqual((await record('db1')).depend, [name])
    const leftovers = async (dir: string) =>
      (await readdir(dir)).filter((f) => /^(rename|create)-.*\.json$|\.tmp-[0-9a-f]{12}$/.test(f))
    for (const dir of [host.dirs.dbdir, host.dirs.confdir, host.dirs.jailconf, host.dirs.fstab]) {
      assert.deepEqual(await leftovers(dir), [], dir)
    }
    const listed = JSON.parse((await ok(['list', '--json'])).stdout) as ListResult
    assert.deepEqual(
      listed.jails.filter((j) => j.state === 'incomplete'),
      [],
    )
    await ok(['start', 'db1']) // starts the renamed jail first: it is db1's dependency
    await ok(['stop', name]) // stops db1 first
    return name
  }

  /** Before recovery, list already shows one of NAMES whole; the other, if any, only as incomplete. */
  const oneWholeBeforeRecovery = async (names: string[]) => {
    const listed = JSON.parse((await ok(['list', '--json'])).stdout) as ListResult
    const whole = listed.jails.filter((j) => names.includes(j.name) && j.state !== 'incomplete')
    assert.equal(whole.length, 1, JSON.stringify(listed.jails))
  }

  const walk = async (createArgs: string[], rootOf: (name: string) => string, checkList: boolean) => {
    await ok(['create', ...createArgs, 'web1', '10.0.0.5'])
    await ok(['create', 'db1', '10.0.0.6'])
    await ok(['config', 'db1', '--depend', 'web1'])
    const names = ['web1', 'web2']
    // The next command under the lock: a config of another jail, a create, a delete of the jail the create made
    // one step earlier, or the same rename again.
    const nextCommands = [
      (step: number) => ['config', 'db1', step % 2 === 0 ? '--run' : '--norun'],
      (step: number) => ['create', `t${step}`, `10.0.6.${step}`],
      (step: number) => ['delete', '-w', '--force', `t${step - 1}`],
      (_step: number, from: string, to: string) => ['config', from, '--rename', to],
    ]
    let current = 'web1'
    const outcomes = new Set<string>()
    for (let step = 1; ; step++) {
      const other = current === 'web1' ? 'web2' : 'web1'
      const ranThrough = await renameKilledAt(current, other, step)
      if (checkList) await oneWholeBeforeRecovery(names)
      const next = nextCommands[step % nextCommands.length]!(step, current, other)
      const result = await tsez(next, host.env)
      const retryOfDone = next[2] === '--rename' && /no jail named/.test(result.stderr)
      assert.ok(result.exitCode === 0 || retryOfDone, `step ${step}, ${next.join(' ')}: ${result.stderr}`)
      const survivor = await wholeJail(names, rootOf)
      outcomes.add(next[2] === '--rename' ? 'retried' : survivor === current ? 'rolled back' : 'rolled forward')
      current = survivor
      if (ranThrough) {
        assert.ok(step > 20, `only ${step} steps`)
        break
      }
    }
    assert.deepEqual([...outcomes].sort(), ['retried', 'rolled back', 'rolled forward'])
  }

  it('moving the default root: the next config, create or delete rolls back or forward to one whole jail', async function () {
    this.timeout(600_000)
    await walk([], (name) => path.join(host.dirs.jaildir, name), true)
  })

  it('keeping a root of its own (-r): the same', async function () {
    this.timeout(600_000)
    await walk(['-r', 'custom/place'], () => path.join(host.dirs.jaildir, 'custom/place'), false)
  })
})
