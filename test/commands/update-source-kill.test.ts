// update -i killed with SIGKILL at random moments (make, etcupdate build, split, swap): one whole base, then the re-run.
import assert from 'node:assert/strict'
import {mkdir, mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {readUserlandVersion} from '../../src/base/freebsd-update.js'
import {pathExists} from '../../src/system/files.js'
import {generateRelease} from '../fixtures/release.js'
import {spawnTsez, tsez} from '../support/cli.js'
import {createInstalledHost, type InstalledHost} from '../support/installed-host.js'
import {snapshotTree} from '../support/tree.js'

const paths = (snapshot: Map<string, unknown>) => [...snapshot.keys()].join('\n')

describe('tsez update -i: SIGKILL at random moments', function () {
  this.timeout(600_000)
  let host: InstalledHost
  let work: string

  before(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'tsez-update-source-kill-'))
    host = await createInstalledHost()
  })
  after(async () => {
    await host.cleanup()
    await rm(work, {recursive: true, force: true})
  })

  /** A source tree whose newvers.sh names RELEASE (the fake make installs the make.world knob's base.txz). */
  async function sourceTree(release: string): Promise<string> {
    const src = path.join(work, `src-${release}`)
    await mkdir(path.join(src, 'sys/conf'), {recursive: true})
    await writeFile(path.join(src, 'Makefile'), '# FreeBSD world (fake)\n')
    const [revision, branch] = release.split('-')
    await writeFile(path.join(src, 'sys/conf/newvers.sh'), `REVISION="${revision}"\nBRANCH="${branch}"\n`)
    return src
  }

  it('leaves the old base or the new one, whole, and the re-run ends on the new one', async () => {
    const next = await generateRelease(path.join(work, '14.4'), {version: '14.4-RELEASE', lib32: false, src: false})
    const newSource = await sourceTree('14.4-RELEASE')
    const oldSource = await sourceTree('14.3-RELEASE')
    const update = (src: string, world: string) => {
      host.fake.set('make.world', world)
      return ['update', '-i', '-s', src]
    }
    const toOld = async () => {
      const back = await tsez(update(oldSource, path.join(host.releaseDir, 'base.txz')), host.env)
      assert.equal(back.exitCode, 0, back.stderr)
    }
    const shape = paths(await snapshotTree(host.dirs.basejail))
    // The lock names the programs a killed run left (make, etcupdate): the next run waits for them.
    const env = {...host.env, TSEZ_LOCK_WAIT: '30'}

    const started = Date.now()
    assert.equal((await tsez(update(newSource, next.sets.base!.path), host.env)).exitCode, 0)
    const duration = Date.now() - started
    await toOld()

    const delays = Array.from({length: 6}, (_, i) => Math.round(((i + Math.random()) / 6) * duration))
    for (const delay of delays) {
      const {child, done} = spawnTsez(update(newSource, next.sets.base!.path), host.env)
      await new Promise((resolve) => setTimeout(resolve, delay))
      child.kill('SIGKILL')
      await done
      // Between the two renames of the swap the basejail is briefly absent: then the next run puts one back.
      if (await pathExists(path.join(host.dirs.basejail, 'bin/freebsd-version'))) {
        const version = await readUserlandVersion(host.dirs.basejail)
        const record = JSON.parse(await readFile(path.join(host.dirs.dbdir, 'release.json'), 'utf8')) as {
          userland: string
        }
        assert.ok(['14.3-RELEASE', '14.4-RELEASE'].includes(version), `delay ${delay}: ${version}`)
        assert.equal(paths(await snapshotTree(host.dirs.basejail)), shape, `basejail after SIGKILL at ${delay} ms`)
        // The new tree swapped in but not yet committed (release.json still old) is put back by the next run.
        if (version === '14.3-RELEASE') assert.equal(record.userland, '14.3-RELEASE', `record at ${delay} ms`)
      }
      const rerun = await tsez(update(newSource, next.sets.base!.path), env)
      assert.equal(rerun.exitCode, 0, `re-run after SIGKILL at ${delay} ms: ${rerun.stderr}`)
      assert.equal(await readUserlandVersion(host.dirs.basejail), '14.4-RELEASE')
      assert.equal(paths(await snapshotTree(host.dirs.basejail)), shape)
      assert.equal(await pathExists(path.join(host.dirs.jaildir, '.tsez-staging')), false)
      await toOld()
    }
  })
})
