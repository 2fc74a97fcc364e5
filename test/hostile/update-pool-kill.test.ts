// update -U's /etc merges run through the shell pool: each merge is noted in the host lock by the shell running it,
// so a SIGKILLed tsez's merges keep the lock until they end, no second merge runs beside them, and the same
// command finishes the job (the update-pending note).
import assert from 'node:assert/strict'
import {mkdir, readFile, readdir, writeFile} from 'node:fs/promises'
import path from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'

import type {LockHolder} from '../../src/system/lock.js'
import type {UpdateResult} from '../../src/update/service.js'
import {spawnTsez, tsez} from '../support/cli.js'
import {createUpdateSandbox, type UpdateSandbox} from '../support/update-jails.js'

const TARGET = '15.1-RELEASE'
const JAILS = ['jail001', 'jail002', 'jail003', 'jail004', 'jail005']

describe('hostile: update -U killed while its /etc merges run in the shell pool', function () {
  this.timeout(120_000)
  let box: UpdateSandbox
  afterEach(async () => box?.cleanup())

  /** Five jails whose etcupdate state exists and the target's stock /etc cached: -U fetches nothing. */
  const sandbox = async () => {
    box = await createUpdateSandbox()
    await box.seedJails(JAILS.length)
    // Every root, the newjail's too, has etcupdate's state: no bootstrap, so no older stock /etc to fetch.
    for (const name of await readdir(box.config.jaildir)) {
      await mkdir(path.join(box.config.jaildir, name, 'var/db/etcupdate/current'), {recursive: true})
    }
    await mkdir(path.join(box.config.dbdir, 'etcupdate'), {recursive: true})
    await writeFile(path.join(box.config.dbdir, `etcupdate/etc-${TARGET}.tbz`), 'cached')
  }
  const merges = () => box.host.calls('etcupdate').filter((call) => call[1] === '-D')
  const lockHolder = async () =>
    JSON.parse(await readFile(path.join(box.config.dbdir, 'lock'), 'utf8')) as Required<LockHolder>
  const command = (pid: number) => readFile(`/proc/${pid}/comm`, 'utf8').then((comm) => comm.trim())

  it('the lock names the pool shells running etcupdate; the next run waits for them, then merges every /etc', async () => {
    await sandbox()
    box.host.set('etcupdate.hold', '')
    const {child, done} = spawnTsez(['update', '-U', '-r', TARGET, '-p', '3', '--json'], box.env)
    for (let waited = 0; merges().length < 3; waited += 50) {
      assert.ok(waited < 60_000, `three merges never started: ${JSON.stringify(merges())}`)
      await sleep(50)
    }
    const running = (await lockHolder()).children
    assert.deepEqual(
      running.map((c) => c.program),
      ['etcupdate', 'etcupdate', 'etcupdate'],
    )
    // Each noted pid is a pool shell (its parent), not an etcupdate node spawned: the pool path was taken.
    assert.deepEqual(await Promise.all(running.map((c) => command(c.pid))), ['sh', 'sh', 'sh'])
    child.kill('SIGKILL')
    assert.equal((await done).exitCode, 128)

    const early = await tsez(['update', '-U', '-r', TARGET, '--json'], box.env)
    assert.equal(early.exitCode, 1, JSON.stringify(early))
    assert.match(
      (JSON.parse(early.stdout) as {error: {message: string}}).error.message,
      /^etcupdate \(pid \d+\), still running for tsez update \(pid \d+.*holds the host lock/,
    )
    assert.equal(merges().length, 3, 'no etcupdate started beside the orphans')

    box.host.unset('etcupdate.hold')
    const again = await tsez(['update', '-U', '-r', TARGET, '--json'], {...box.env, TSEZ_LOCK_WAIT: '30'})
    assert.equal(again.exitCode, 0, again.stderr)
    const report = JSON.parse(again.stdout) as UpdateResult
    assert.deepEqual(
      report.jails.map((jail) => [jail.name, jail.ok]),
      JAILS.map((name) => [name, true]),
    )
    assert.equal(report.newjail?.ok, true)
    const merged = new Set(merges().map((call) => path.basename(call[2] ?? '')))
    assert.deepEqual([...merged].sort(), [...JAILS, 'newjail'])
    assert.equal(await box.baseVersion(), TARGET)
    const leftovers = (await readdir(box.config.dbdir)).filter((name) => /^lock|^update-pending\.json$/.test(name))
    assert.deepEqual(leftovers, [])
  })

  it('through the pool, a jail whose etcupdate fails is reported on its own; the others merge, exit 1', async () => {
    await sandbox()
    box.host.set('etcupdate.conflicts.jail002', '/etc/rc.conf\n')
    // The fake's conflicts file without a conflict: etcupdate refuses (exit 1) and lists none.
    box.host.set('etcupdate.conflicts.jail004', '')
    const result = await tsez(['update', '-U', '-r', TARGET, '-p', '4', '--json'], box.env)
    assert.equal(result.exitCode, 1, result.stderr)
    const report = JSON.parse(result.stdout) as UpdateResult
    const outcome = Object.fromEntries(report.jails.map((jail) => [jail.name, jail]))
    assert.deepEqual(
      JAILS.map((name) => outcome[name]?.ok),
      [true, false, true, false, true],
    )
    assert.deepEqual(outcome.jail002?.conflicts, ['/etc/rc.conf'])
    assert.deepEqual(outcome.jail004?.conflicts, [])
    assert.match(outcome.jail004?.error ?? '', /^etcupdate -D \S+\/jail004 failed \(exit 1\): Conflicts remain/)
    assert.equal(report.attention, true)
    assert.equal(merges().length, JAILS.length + 1)
  })
})
