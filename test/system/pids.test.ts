import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'

import {isRunning} from '../../src/system/pids.js'

describe('system/pids', () => {
  it('this process runs; one that exited and was reaped does not', () => {
    assert.equal(isRunning(process.pid), true)
    const gone = spawnSync(process.execPath, ['-e', '0']).pid
    assert.ok(gone !== undefined && gone > 0)
    assert.equal(isRunning(gone), false)
  })

  it('init (pid 1), which this user may not signal or may: running either way', () => {
    assert.equal(isRunning(1), true)
  })
})
