import assert from 'node:assert/strict'
import {readFile} from 'node:fs/promises'
import path from 'node:path'

import {readUserlandVersion} from '../../src/base/freebsd-update.js'
import {spawnTsez, tsez} from '../support/cli.js'
import {createTestHost, installArgs, type TestHost} from '../support/test-host.js'
import {snapshotTree, type Snapshot} from '../support/tree.js'

const paths = (snapshot: Snapshot) => [...snapshot.keys()].join('\n')

describe('tsez install: SIGKILL at random moments', function () {
  this.timeout(600_000)
  let host: TestHost
  before(async () => (host = await createTestHost()))
  after(() => host.cleanup())

  it('leaves the previous complete install (or the new complete one), and the re-run ends correct', async () => {
    // The previous install: unpatched. The new one is patched to -p5, so the two are told apart by their content.
    assert.equal((await tsez(installArgs(host, '--no-patch'), host.env)).exitCode, 0)
    const old = {base: await snapshotTree(host.dirs.basejail), jail: await snapshotTree(host.dirs.newjail)}
    host.fake.set('freebsd-update.patch', '14.3-RELEASE-p5')

    const started = Date.now()
    const probe = spawnTsez(installArgs(host, '--force'), host.env)
    assert.equal((await probe.done).exitCode, 0)
    const duration = Date.now() - started
    // Back to the unpatched install for every round.
    host.fake.unset('freebsd-update.patch')
    assert.equal((await tsez(installArgs(host, '--force', '--no-patch'), host.env)).exitCode, 0)
    host.fake.set('freebsd-update.patch', '14.3-RELEASE-p5')

    const delays = Array.from({length: 6}, (_, i) => Math.round(((i + Math.random()) / 6) * duration))
    for (const delay of delays) {
      const {child, done} = spawnTsez(installArgs(host, '--force'), host.env)
      await new Promise((resolve) => setTimeout(resolve, delay))
      child.kill('SIGKILL')
      await done
      const base = await snapshotTree(host.dirs.basejail)
      const jail = await snapshotTree(host.dirs.newjail)
      const version = await readUserlandVersion(host.dirs.basejail)
      const record = JSON.parse(await readFile(path.join(host.dirs.dbdir, 'release.json'), 'utf8')) as {
        userland: string
      }
      // Whole trees only: the old one exactly, or the new one (same paths, patched version, committed record).
      if (version === '14.3-RELEASE') {
        assert.equal(paths(base), paths(old.base), `basejail after SIGKILL at ${delay} ms`)
        assert.equal(paths(jail), paths(old.jail), `newjail after SIGKILL at ${delay} ms`)
        assert.equal(record.userland, '14.3-RELEASE')
      } else {
        assert.equal(version, '14.3-RELEASE-p5', `delay ${delay}`)
        assert.equal(record.userland, '14.3-RELEASE-p5')
        assert.equal(paths(base), paths(old.base))
      }
      const rerun = await tsez(installArgs(host, '--force'), host.env)
      assert.equal(rerun.exitCode, 0, `re-run after SIGKILL at ${delay} ms: ${rerun.stderr}`)
      assert.equal(await readUserlandVersion(host.dirs.basejail), '14.3-RELEASE-p5')
      assert.equal(paths(await snapshotTree(host.dirs.basejail)), paths(old.base))
      assert.equal(paths(await snapshotTree(host.dirs.newjail)), paths(old.jail))
      host.fake.unset('freebsd-update.patch')
      assert.equal((await tsez(installArgs(host, '--force', '--no-patch'), host.env)).exitCode, 0)
      host.fake.set('freebsd-update.patch', '14.3-RELEASE-p5')
    }
  })
})
