import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {mkdtemp, readFile, rm, stat, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {acquireHostLock} from '../../src/system/lock.js'

describe('system/lock', () => {
  let dbdir: string
  beforeEach(async () => (dbdir = await mkdtemp(path.join(tmpdir(), 'tsez-lock-'))))
  afterEach(() => rm(dbdir, {recursive: true, force: true}))
  const now = () => new Date('2026-11-28T12:00:00Z')

  it('names its holder and is released', async () => {
    const lock = await acquireHostLock({dbdir, command: 'install', waitMs: 0, now})
    const holder = JSON.parse(await readFile(path.join(dbdir, 'lock'), 'utf8')) as {pid: number; command: string}
    assert.deepEqual(holder, {pid: process.pid, command: 'install', since: '2026-11-28T12:00:00.000Z'})
    await lock.release()
    await assert.rejects(stat(path.join(dbdir, 'lock')), /ENOENT/)
  })

  it('a second taker waits briefly, then fails naming the holder', async () => {
    const sleeper = spawn('sleep', ['30'])
    await writeFile(path.join(dbdir, 'lock'), JSON.stringify({pid: sleeper.pid, command: 'create', since: 'then'}))
    try {
      const started = Date.now()
      await assert.rejects(
        acquireHostLock({dbdir, command: 'install', waitMs: 300, now}),
        new RegExp(`tsez create \\(pid ${sleeper.pid}, since then\\) holds the host lock`),
      )
      assert.ok(Date.now() - started >= 300, 'it waited before giving up')
    } finally {
      sleeper.kill()
    }
  })

  it('takes over a lock whose holder is dead', async () => {
    const dead = spawn('true')
    await new Promise((resolve) => dead.on('close', resolve))
    await writeFile(path.join(dbdir, 'lock'), JSON.stringify({pid: dead.pid, command: 'create', since: 'then'}))
    const lock = await acquireHostLock({dbdir, command: 'install', waitMs: 0, now})
    assert.match(await readFile(path.join(dbdir, 'lock'), 'utf8'), new RegExp(`"pid":${process.pid}`))
    await lock.release()
  })

  it('gets the lock as soon as the holder releases it', async () => {
    const first = await acquireHostLock({dbdir, command: 'a', waitMs: 0, now})
    const second = acquireHostLock({dbdir, command: 'b', waitMs: 5000, now})
    setTimeout(() => void first.release(), 200)
    const lock = await second
    assert.match(await readFile(path.join(dbdir, 'lock'), 'utf8'), /"command":"b"/)
    await lock.release()
  })
})
