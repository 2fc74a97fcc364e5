// The limits note an interrupted `tsez limits` leaves, settled by the next command under the host lock: a running
// jail gets its recorded rules back, a stopped or gone jail's note is dropped, a refused rule keeps the note.
import assert from 'node:assert/strict'
import {existsSync} from 'node:fs'
import {mkdir, writeFile} from 'node:fs/promises'

import {limitsNoteFile} from '../../src/jail/limits-note.js'
import type {FakeHost} from '../fixtures/fake-host.js'
import {tsezOk} from '../support/cli.js'
import {seedJail, type SeededHost} from '../support/seed-jails.js'
import {useSeededFakeHost} from '../support/seeded-fake-host.js'

describe('jail/limits-note', () => {
  let host: SeededHost
  let fake: FakeHost
  let env: NodeJS.ProcessEnv
  useSeededFakeHost((made) => {
    ;({host, fake, env} = made)
  })
  beforeEach(async () => {
    fake.set('sysctl.kern.racct.enable', '1')
    await seedJail(host.config, {name: 'web1'})
    await seedJail(host.config, {name: 'db1', addresses: ['10.0.0.9']})
  })

  const ok = (args: string[]) => tsezOk(args, env)
  const note = (name: string) => limitsNoteFile(host.config, name)
  const leave = async (name: string) => {
    await mkdir(host.config.dbdir, {recursive: true})
    await writeFile(note(name), JSON.stringify({version: 1, name, pid: 4242, started: '2026-12-06T06:00:00Z'}) + '\n')
  }
  const rctlCalls = () => fake.calls('rctl').map((argv) => argv.join(' '))

  it('a running jail: the kernel gets exactly its recorded rules again, the note goes', async () => {
    await ok(['start', 'web1'])
    await ok(['limits', 'web1', 'maxproc=100'])
    // What a kill between rctl and the commit leaves: other rules in the kernel than in the record.
    fake.set('rctl.rules', 'jail:web1:memoryuse:deny=1G\n')
    await leave('web1')
    const result = await ok(['stop', 'db1'])
    assert.match(result.stderr, /interrupted tsez limits of jail web1 \(pid 4242, .*\): its running jail holds its/)
    assert.equal(fake.read('rctl.rules'), 'jail:web1:maxproc:deny=100\n')
    assert.ok(!existsSync(note('web1')))
  })

  it('a stopped jail (its rules went at its stop) or a gone one: the note goes, rctl is not run', async () => {
    await leave('web1')
    await leave('gone')
    const before = rctlCalls().length
    const result = await ok(['stop', 'db1'])
    assert.match(
      result.stderr,
      /limits of jail web1 .*: the jail is stopped: its next start applies its rules; removed/,
    )
    assert.match(result.stderr, /limits of jail gone .*: the jail is gone; removed its note/)
    assert.equal(rctlCalls().length, before)
    assert.ok(!existsSync(note('web1')) && !existsSync(note('gone')))
  })

  it('a rule rctl refuses again: a warning, and the note stays for the next command', async () => {
    await ok(['start', 'web1'])
    await ok(['limits', 'web1', 'maxproc=100'])
    await leave('web1')
    fake.set('rctl.fail.maxproc', 'Operation not permitted')
    const result = await ok(['stop', 'db1'])
    assert.match(result.stderr, /tsez: warning: .*limits of jail web1 .*failed \(rctl -a jail:web1:maxproc:deny=100: /)
    assert.ok(existsSync(note('web1')))
  })

  it('a note that is not JSON is settled all the same: the record says what the kernel must hold', async () => {
    await ok(['start', 'web1'])
    await writeFile(note('web1'), '{"version":1,"na')
    const result = await ok(['stop', 'db1'])
    assert.match(result.stderr, /limits of jail web1 \(pid \?, started \?\): its running jail holds/)
    assert.ok(!existsSync(note('web1')))
  })
})
