import assert from 'node:assert/strict'
import {execFile} from 'node:child_process'
import {readFile, readdir, rm, writeFile} from 'node:fs/promises'
import path from 'node:path'
import {promisify} from 'node:util'

import {spawnTsez} from '../support/cli.js'
import {createInstalledHost, type InstalledHost} from '../support/installed-host.js'
import {RELEASE, createTestHost, type TestHost} from '../support/test-host.js'
import {diffTrees, snapshotTree} from '../support/tree.js'

const exec = promisify(execFile)

// Two installs, or an install and a running jail, must never both act on what each saw before the host lock.
describe('hostile: installs racing for the host lock', function () {
  this.timeout(300_000)
  let host: TestHost
  beforeEach(async () => (host = await createTestHost()))
  afterEach(() => host.cleanup())

  const lockFile = () => path.join(host.dirs.dbdir, 'lock')
  /** The test holds the host lock, as a long tsez command would (this process is alive). */
  const holdLock = async () => {
    await exec('mkdir', ['-p', host.dirs.dbdir])
    const holder = {pid: process.pid, command: 'install', since: new Date().toISOString()}
    await writeFile(lockFile(), JSON.stringify(holder) + '\n')
  }
  /** Without -a, install asks uname -m and -p just before the lock: once both were asked, it waits for the lock. */
  const untilWaiting = async (installs: number) => {
    while (host.fake.calls('uname').length < 2 * installs) await new Promise((resolve) => setTimeout(resolve, 50))
    await new Promise((resolve) => setTimeout(resolve, 500))
  }
  const args = (...extra: string[]) => ['install', '-r', RELEASE, '-h', host.httpMirror, '--no-patch', ...extra]
  const env = () => ({...host.env, TSEZ_LOCK_WAIT: '120'})

  it('two installs started together on an empty host: one installs, the other exits 2 "already installed"', async () => {
    await holdLock()
    const first = spawnTsez(args(), env())
    const second = spawnTsez(args(), env())
    await untilWaiting(2)
    await rm(lockFile())
    const results = await Promise.all([first.done, second.done])
    const codes = results.map((r) => r.exitCode).sort()
    assert.deepEqual(codes, [0, 2], results.map((r) => r.stderr).join('\n---\n'))
    const loser = results.find((r) => r.exitCode === 2)!
    assert.match(loser.stderr, /a basejail is already installed at .*; use --force to replace it/)
    assert.deepEqual((await readdir(host.dirs.jaildir)).sort(), ['basejail', 'flavours', 'newjail'], 'no staging')
    const record = JSON.parse(await readFile(path.join(host.dirs.dbdir, 'release.json'), 'utf8')) as {
      sets: Array<{name: string; sha256: string}>
    }
    assert.deepEqual(
      record.sets.map((s) => s.sha256),
      ['base', 'lib32'].map((set) => host.release.sets[set]!.sha256),
    )
    // One whole install: the basejail holds every split directory of the sets, once.
    const paths = [...(await snapshotTree(host.dirs.basejail)).keys()]
    assert.ok(paths.includes('bin/freebsd-version') && paths.includes('usr/lib32'), 'base and lib32 in the basejail')
  })

  describe('an install that waited for the lock', () => {
    let other: InstalledHost
    beforeEach(async () => (other = await createInstalledHost()))
    afterEach(() => other.cleanup())

    /** Another install completes while ours waits: its trees and record land, then a jail mounts the basejail. */
    const anotherInstallCompletes = async () => {
      await exec('mkdir', ['-p', path.dirname(host.dirs.jaildir)])
      await exec('cp', ['-a', other.dirs.jaildir, host.dirs.jaildir])
      await exec('cp', ['-a', `${other.dirs.dbdir}/.`, host.dirs.dbdir])
      const jailRoot = path.join(host.dirs.jaildir, 'web1')
      await exec('mkdir', ['-p', path.join(jailRoot, 'basejail')])
      host.fake.set('mounts', `${host.dirs.basejail}\t${jailRoot}/basejail\tnullfs\tro\n`)
    }

    for (const force of [true, false]) {
      it(`${force ? 'with' : 'without'} --force is refused once it holds the lock; nothing is replaced`, async () => {
        await holdLock()
        const waiting = spawnTsez(args(...(force ? ['--force'] : [])), env())
        await untilWaiting(1)
        await anotherInstallCompletes()
        const snapshot = () => snapshotTree(host.root, {exclude: (rel) => rel === 'host/var/db/tsez/lock'})
        const before = await snapshot()
        await rm(lockFile())
        const result = await waiting.done
        assert.equal(result.exitCode, 2, result.stderr)
        assert.match(
          result.stderr,
          force
            ? /the basejail is mounted at .*web1\/basejail: stop those jails before replacing it/
            : /a basejail is already installed/,
        )
        // The lock file came and went in tsez_dbdir; nothing else changed.
        assert.deepEqual(diffTrees(before, await snapshot(), {ignoreMtimeOf: ['host/var/db/tsez']}), [])
      })
    }
  })
})
