import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {chown, mkdtemp, readdir, rm, symlink, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {createRunner} from '../../src/system/runner.js'
import type {PooledRunner} from '../../src/system/shell-pool.js'

describe('system/shell-pool: many short programs through a few long-lived shells', function () {
  let pool: PooledRunner
  let scratch: string
  beforeEach(async () => {
    scratch = await mkdtemp(path.join(tmpdir(), 'tsez-pool-test-'))
    pool = await createRunner().pool!(3)
  })
  afterEach(async () => {
    await pool.close()
    await rm(scratch, {recursive: true, force: true})
  })

  it('passes every word exactly: spaces, quotes, $(…), globs, newlines and a leading dash are never re-read', async () => {
    const words = ["it's", 'a b', '$(touch /tmp/pwned)', '*', 'line\nbreak', '-n', '"', '\\', '`id`', '']
    const result = await pool.run('printf', ['[%s]\\n', ...words])
    assert.equal(result.stdout, words.map((w) => `[${w}]\n`).join(''))
    assert.equal(result.stderr, '')
  })

  it('keeps stdout and stderr apart, and the exit status', async () => {
    const result = await pool.tryRun('sh', ['-c', 'echo out; echo err >&2; exit 7'])
    assert.deepEqual(result, {exitCode: 7, stdout: 'out\n', stderr: 'err\n'})
    await assert.rejects(
      pool.run('sh', ['-c', 'echo nope >&2; exit 3']),
      /sh -c echo nope >&2; exit 3 failed \(exit 3\): nope/,
    )
  })

  it('a program that is not on PATH reads as the runner says it (127)', async () => {
    const result = await pool.tryRun('no-such-program-tsez', [])
    assert.equal(result.exitCode, 127)
    assert.match(result.stderr, /^no-such-program-tsez: no such program on PATH/)
  })

  it('stdin is /dev/null: a program reading it ends at once', async () => {
    assert.equal((await pool.run('cat', [])).stdout, '')
  })

  it('runs SIZE programs at once: three jobs that each wait for the other two all finish', async () => {
    // A barrier, not a clock: each job marks itself, then waits (up to 10 s) until three marks exist.
    const job = `touch "${scratch}/$$"; i=0; while [ $(ls "${scratch}" | wc -l) -lt 3 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done; ls "${scratch}" | wc -l`
    const results = await Promise.all([1, 2, 3].map(() => pool.run('sh', ['-c', job])))
    assert.deepEqual(
      results.map((r) => r.stdout.trim()),
      ['3', '3', '3'],
    )
  })

  it('more jobs than shells wait their turn, and every one gets its own output', async () => {
    const results = await Promise.all(Array.from({length: 20}, (_, i) => pool.run('echo', [`job ${i}`])))
    assert.deepEqual(
      results.map((r) => r.stdout),
      Array.from({length: 20}, (_, i) => `job ${i}\n`),
    )
  })

  it('calls with cwd or env go to the plain runner', async () => {
    const result = await pool.run('sh', ['-c', 'pwd; echo $TSEZ_POOL_TEST'], {cwd: scratch, env: {TSEZ_POOL_TEST: 'x'}})
    assert.equal(result.stdout, `${scratch}\nx\n`)
  })

  it("onSpawn gets the pid of the shell running the job, the program's parent: the job still runs in the pool", async () => {
    const spawned: number[] = []
    const result = await pool.run('sh', ['-c', 'echo $PPID'], {onSpawn: (pid) => spawned.push(pid)})
    assert.deepEqual(spawned, [Number(result.stdout)])
    assert.notEqual(spawned[0], process.pid)
  })

  it('a shell killed under its job fails that job only; the others carry on', async () => {
    const killer = pool.tryRun('sh', ['-c', 'kill -9 $PPID; sleep 5'])
    const killed = await killer
    assert.equal(killed.exitCode, 127)
    assert.match(killed.stderr, /the shell that ran it died/)
    const after = await Promise.all(Array.from({length: 5}, (_, i) => pool.run('echo', [String(i)])))
    assert.deepEqual(
      after.map((r) => r.stdout),
      ['0\n', '1\n', '2\n', '3\n', '4\n'],
    )
  })

  it('starts shells as jobs wait for them, one per turn of the event loop, up to SIZE', async () => {
    await pool.run('true', [])
    assert.equal(pool.shells.length, 1, 'one job, one shell')
    await Promise.all([pool.run('sleep', ['0.2']), pool.run('sleep', ['0.2']), pool.run('sleep', ['0.2'])])
    assert.equal(pool.shells.length, 3)
    await Promise.all(Array.from({length: 6}, () => pool.run('true', [])))
    assert.equal(pool.shells.length, 3, 'never more than SIZE')
  })

  it("a job's output is its own: a silent job after a talkative one on the same shell reads as silent", async () => {
    const single = await createRunner().pool!(1)
    try {
      assert.deepEqual(await single.tryRun('sh', ['-c', 'echo out; echo err >&2; exit 3']), {
        exitCode: 3,
        stdout: 'out\n',
        stderr: 'err\n',
      })
      assert.deepEqual(await single.tryRun('true', []), {exitCode: 0, stdout: '', stderr: ''})
      assert.deepEqual(await single.tryRun('printf', ['%s', 'a']), {exitCode: 0, stdout: 'a', stderr: ''})
    } finally {
      await single.close()
    }
  })

  it('close ends the shells and removes their output directory; later calls go to the plain runner', async () => {
    await pool.run('echo', ['x'])
    assert.deepEqual(await readdir(pool.directory), ['0.err', '0.out'], 'one pair of output files per shell')
    await pool.close()
    await assert.rejects(readdir(pool.directory), /ENOENT/)
    assert.equal((await pool.run('echo', ['after'])).stdout, 'after\n')
  })

  it("a new pool removes what a SIGKILLed tsez's pool left (its pid gone, root's 0700 directory), nothing else", async () => {
    const gone = spawnSync('true').pid // a pid no longer running
    const left = await mkdtemp(path.join(tmpdir(), `tsez-pool-${gone}-`))
    await writeFile(path.join(left, '0.out'), 'output of a killed run')
    const living = await mkdtemp(path.join(tmpdir(), `tsez-pool-${process.pid}-`)) // a running tsez's
    const foreign = await mkdtemp(path.join(tmpdir(), `tsez-pool-${gone}-`)) // not ours: another user's
    await chown(foreign, 4321, 4321)
    const lookalike = path.join(tmpdir(), `tsez-pool-${gone}-link`) // a symlink of that name is not followed
    await symlink(scratch, lookalike)
    try {
      const next = await createRunner().pool!(1)
      await next.close()
      await assert.rejects(readdir(left), /ENOENT/)
      assert.deepEqual(await readdir(living), [])
      assert.deepEqual(await readdir(foreign), [])
      assert.deepEqual(await readdir(lookalike), [])
    } finally {
      await Promise.all([left, living, foreign, lookalike].map((dir) => rm(dir, {recursive: true, force: true})))
    }
  })
})
