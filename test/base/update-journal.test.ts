// tsez's note of the install it began: written, read back, cleared; an unreadable note counts as none.
import assert from 'node:assert/strict'
import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {resolveConfig, type TsezConfig} from '../../src/config.js'
import {
  clearPendingStep,
  finishCommand,
  pendingStepPath,
  readPendingStep,
  writePendingStep,
} from '../../src/base/update-journal.js'

describe('base/update-journal', () => {
  let dir: string
  let config: TsezConfig
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'tsez-journal-'))
    config = resolveConfig(new Map([['tsez_dbdir', dir]]), undefined)
  })
  afterEach(async () => rm(dir, {recursive: true, force: true}))

  it('is written, read back and cleared', async () => {
    assert.equal(await readPendingStep(config), undefined)
    const step = {action: 'upgrade' as const, targetRelease: '15.1-RELEASE', startedAt: '2026-11-28T15:00:00.000Z'}
    await writePendingStep(config, step)
    assert.deepEqual(await readPendingStep(config), step)
    await clearPendingStep(config)
    assert.equal(await readPendingStep(config), undefined)
    await clearPendingStep(config) // none: no error
  })

  it('counts a note it cannot read as none', async () => {
    for (const text of ['{', '{"action":"build"}', '[]']) {
      await writeFile(pendingStepPath(config), text)
      assert.equal(await readPendingStep(config), undefined, text)
    }
  })

  it('names the command that finishes each step', () => {
    assert.equal(finishCommand({action: 'patch', targetRelease: null}), 'tsez update -u')
    assert.equal(finishCommand({action: 'upgrade', targetRelease: '15.1-RELEASE'}), 'tsez update -U -r 15.1-RELEASE')
  })
})
