import assert from 'node:assert/strict'
import {mkdir, mkdtemp, readFile, readdir, rename, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {pendingRecord, recoverStaging, stagingPaths, swapIn} from '../../src/base/staging.js'
import {pathExists} from '../../src/system/files.js'
import {recordingRunner} from '../support/recording-runner.js'

describe('base/staging', () => {
  let jaildir: string
  let targets: {basejail: string; newjail: string; record: string}
  beforeEach(async () => {
    jaildir = await mkdtemp(path.join(tmpdir(), 'tsez-staging-'))
    targets = {
      basejail: path.join(jaildir, 'basejail'),
      newjail: path.join(jaildir, 'newjail'),
      record: path.join(jaildir, 'db/release.json'),
    }
    await mkdir(path.join(jaildir, 'db'))
  })
  afterEach(() => rm(jaildir, {recursive: true, force: true}))

  const tree = async (dir: string, label: string) => {
    await mkdir(dir, {recursive: true})
    await writeFile(path.join(dir, 'label'), label)
  }
  const label = async (dir: string) => readFile(path.join(dir, 'label'), 'utf8').catch(() => 'absent')
  const staged = async (old: boolean) => {
    const staging = stagingPaths(jaildir)
    await tree(staging.full, 'new')
    await tree(staging.basejail, 'new')
    if (old) {
      await tree(targets.basejail, 'old')
      await tree(targets.newjail, 'old')
      await writeFile(targets.record, 'old record')
    }
    return staging
  }

  it('swaps the staged trees in and commits the record', async () => {
    const staging = await staged(true)
    await swapIn(staging, targets, 'new record')
    assert.equal(await label(targets.basejail), 'new')
    assert.equal(await label(targets.newjail), 'new')
    assert.equal(await readFile(targets.record, 'utf8'), 'new record')
    assert.equal(await pathExists(pendingRecord(targets.record)), false)
  })

  // Every point a SIGKILL could interrupt the swap at, replayed by hand: recovery restores the previous install.
  const phases = [
    'record written',
    'marker written',
    'basejail moved aside',
    'newjail moved aside',
    'new basejail in place',
  ] as const
  for (const [index, phase] of phases.entries()) {
    for (const old of [true, false]) {
      it(`rolls back a swap interrupted after "${phase}" (${old ? 'replacing' : 'first install'})`, async () => {
        const staging = await staged(old)
        await writeFile(pendingRecord(targets.record), 'new record')
        if (index >= 1) await writeFile(staging.swapping, '')
        if (index >= 2) {
          await mkdir(staging.old)
          if (old) await rename(targets.basejail, path.join(staging.old, 'basejail'))
        }
        if (index >= 3 && old) await rename(targets.newjail, path.join(staging.old, 'newjail'))
        if (index >= 4) await rename(staging.basejail, targets.basejail)
        const {runner, calls} = recordingRunner()
        await recoverStaging(runner, staging, targets)
        assert.equal(await label(targets.basejail), old ? 'old' : 'absent')
        assert.equal(await label(targets.newjail), old ? 'old' : 'absent')
        assert.equal(await readFile(targets.record, 'utf8').catch(() => 'absent'), old ? 'old record' : 'absent')
        assert.equal(await pathExists(staging.root), false)
        assert.equal(await pathExists(pendingRecord(targets.record)), false)
        assert.deepEqual(calls[0]?.args.slice(0, 1), ['-R'], 'flags are cleared before removal')
      })
    }
  }

  it('after the commit, recovery keeps the new install and only removes leftovers', async () => {
    const staging = await staged(true)
    await swapIn(staging, targets, 'new record')
    await tree(path.join(staging.old, 'basejail'), 'old') // as if killed before the old trees were deleted
    await writeFile(staging.swapping, '')
    await recoverStaging(recordingRunner().runner, staging, targets)
    assert.equal(await label(targets.basejail), 'new')
    assert.equal(await label(targets.newjail), 'new')
    assert.equal(await readFile(targets.record, 'utf8'), 'new record')
    assert.deepEqual(await readdir(jaildir), ['basejail', 'db', 'newjail'])
  })

  it('a staging tree from a build that never reached the swap is removed, the install untouched', async () => {
    const staging = await staged(true)
    await recoverStaging(recordingRunner().runner, staging, targets)
    assert.equal(await label(targets.basejail), 'old')
    assert.equal(await pathExists(staging.root), false)
  })
})
