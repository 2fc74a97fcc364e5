import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {mkdtemp, readdir, readFile, rm, stat, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {acquireHostLock, type LockHolder} from '../../src/system/lock.js'
import {createRunner} from '../../src/system/runner.js'

describe('system/lock', () => {
  let dbdir: string
  beforeEach(async () => (dbdir = await mkdtemp(path.join(tmpdir(), 'tsez-lock-'))))
  afterEach(() => rm(dbdir, {recursive: true, force: true}))
  const now = () => new Date('2026-11-28T12:00:00Z')

  it('names its holder and is released', async () => {
    const lock = await acquireHostLock({dbdir, command: 'install', waitMs: 0, now})
    const {token, ...holder} = JSON.parse(await readFile(path.join(dbdir, 'lock'), 'utf8')) as LockHolder
    assert.deepEqual(holder, {pid: process.pid, command: 'install', since: '2026-11-28T12:00:00.000Z'})
    assert.match(token, /^[0-9a-f]{16}$/)
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

  const deadPid = async () => {
    const dead = spawn('true')
    await new Promise((resolve) => dead.on('close', resolve))
    return dead.pid ?? 0
  }

  it('is never seen without its holder: the file is linked into place whole', async () => {
    let reading = true
    let reads = 0
    const reader = (async () => {
      while (reading) {
        const text = await readFile(path.join(dbdir, 'lock'), 'utf8').catch(() => undefined)
        if (text === undefined) continue
        reads++
        assert.equal((JSON.parse(text) as LockHolder).command, 'a', `read ${JSON.stringify(text)}`)
      }
    })()
    try {
      for (let i = 0; i < 300; i++) await (await acquireHostLock({dbdir, command: 'a', waitMs: 0, now})).release()
    } finally {
      reading = false
      await reader
    }
    assert.ok(reads > 0, 'the reader saw the lock at least once')
    assert.deepEqual(await readdir(dbdir), [], 'no temp file is left')
  })

  it('of several takers of one stale lock, exactly one wins, every time', async () => {
    const stale = JSON.stringify({pid: await deadPid(), command: 'create', since: 'then'})
    for (let round = 0; round < 40; round++) {
      await writeFile(path.join(dbdir, 'lock'), stale)
      const takers = Array.from({length: 4}, (_, i) => acquireHostLock({dbdir, command: `t${i}`, waitMs: 0, now}))
      const settled = await Promise.allSettled(takers)
      const won = settled.filter(
        (s): s is PromiseFulfilledResult<Awaited<(typeof takers)[0]>> => s.status === 'fulfilled',
      )
      assert.equal(won.length, 1, `round ${round}: ${won.length} takers hold the lock`)
      for (const lost of settled.filter((s) => s.status === 'rejected'))
        assert.match(
          String(lost.reason),
          /(tsez t\d \(pid \d+, since .*\)|another tsez taking over a stale lock) holds the host lock/,
        )
      await won[0]!.value.release()
      assert.deepEqual(await readdir(dbdir), [], `round ${round}: no lock, marker or temp file is left`)
    }
  })

  it('a takeover whose taker died part way is finished by the next taker', async () => {
    const stale = {pid: await deadPid(), command: 'create', since: 'then', token: '0123456789abcdef'}
    await writeFile(path.join(dbdir, 'lock'), JSON.stringify(stale))
    const marker = {pid: await deadPid(), command: 'takeover', since: 'then', token: 'fedcba9876543210'}
    await writeFile(path.join(dbdir, `lock.break-${stale.token}`), JSON.stringify(marker))
    await writeFile(path.join(dbdir, `lock.new-${marker.pid}-0123456789ab`), 'temp of a killed taker')
    const lock = await acquireHostLock({dbdir, command: 'install', waitMs: 0, now})
    assert.deepEqual(await readdir(dbdir), ['lock'])
    await lock.release()
  })

  it('an unreadable lock (an older tsez killed before writing it) is taken over once it is 5 s old', async () => {
    await writeFile(path.join(dbdir, 'lock'), '')
    await assert.rejects(acquireHostLock({dbdir, command: 'a', waitMs: 0, now}), /another tsez holds the host lock/)
    const old = new Date(Date.now() - 10_000)
    const {utimes} = await import('node:fs/promises')
    await utimes(path.join(dbdir, 'lock'), old, old)
    await (await acquireHostLock({dbdir, command: 'a', waitMs: 0, now})).release()
  })

  it('notes the programs it runs: a dead holder whose program still runs keeps the lock until the program ends', async () => {
    const lock = await acquireHostLock({dbdir, command: 'update', waitMs: 0, now})
    const run = lock.track(createRunner())
    const sleeping = run.stream('sleep', ['1'])
    const during = JSON.parse(await readFile(path.join(dbdir, 'lock'), 'utf8')) as LockHolder
    assert.deepEqual(
      during.children?.map((c) => c.program),
      ['sleep'],
    )
    await sleeping.done
    assert.deepEqual((JSON.parse(await readFile(path.join(dbdir, 'lock'), 'utf8')) as LockHolder).children, [])
    await lock.release()

    // A SIGKILLed holder's child lives on (it is not in the holder's place in the process tree any more).
    const child = spawn('sleep', ['1.5'])
    const holder = {pid: await deadPid(), command: 'update', since: 'then', token: '0123456789abcdef'}
    const children = [{pid: child.pid, program: 'freebsd-update'}]
    await writeFile(path.join(dbdir, 'lock'), JSON.stringify({...holder, children}))
    await assert.rejects(
      acquireHostLock({dbdir, command: 'update', waitMs: 200, now}),
      new RegExp(`freebsd-update \\(pid ${child.pid}\\), still running for tsez update \\(pid ${holder.pid}`),
    )
    const started = Date.now()
    await (await acquireHostLock({dbdir, command: 'update', waitMs: 5000, now})).release()
    assert.ok(Date.now() - started > 500, 'it waited for the program')
  })

  it("notes a pool's shell by its job's program from its first job until the pool closes, rewritten only on change", async () => {
    const lock = await acquireHostLock({dbdir, command: 'update', waitMs: 0, now})
    const file = path.join(dbdir, 'lock')
    const children = async () => (JSON.parse(await readFile(file, 'utf8')) as LockHolder).children
    const pool = await lock.track(createRunner()).pool!(1)
    try {
      // The job prints the lock as it is while the job runs, and the pid of the shell running it (its parent).
      const job = await pool.run('sh', ['-c', `cat '${file}'; echo $PPID`])
      const [during = '', parent] = job.stdout.trim().split('\n')
      const shell = Number(parent)
      assert.deepEqual(pool.shells, [shell], 'run by the shell of the pool, not spawned by node')
      assert.deepEqual((JSON.parse(during) as LockHolder).children, [{pid: shell, program: 'sh'}])
      assert.deepEqual(await children(), [{pid: shell, program: 'sh'}], 'kept between jobs')
      const written = (await stat(file)).ino
      await pool.run('sh', ['-c', 'true'])
      assert.equal((await stat(file)).ino, written, 'the same program on the same shell: the lock is not rewritten')
      assert.match(
        (await pool.run('cat', [file])).stdout,
        new RegExp(`"children":\\[\\{"pid":${shell},"program":"cat"\\}\\]`),
      )
      // A call the pool gives its fallback runner (it has a cwd) is noted by its own pid while it runs (noted just
      // after node started it: the job waits, up to 5 s, until the lock names it).
      const script = `i=0; until grep -q '"pid":'$$, '${file}' || [ $i -ge 500 ]; do sleep 0.01; i=$((i+1)); done`
      const own = await pool.run('sh', ['-c', `${script}; cat '${file}'; echo $$`], {cwd: dbdir})
      const [seen = '', pid] = own.stdout.trim().split('\n')
      const expected = [
        {pid: shell, program: 'cat'},
        {pid: Number(pid), program: 'sh'},
      ]
      assert.deepEqual((JSON.parse(seen) as LockHolder).children, expected)
      assert.deepEqual(await children(), [{pid: shell, program: 'cat'}])
      await pool.close()
      assert.deepEqual(await children(), [], 'the closed pool is no longer noted')
    } finally {
      await pool.close()
      await lock.release()
    }
  })
})
