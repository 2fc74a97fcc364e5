// The securelevel guard install and update run before they touch a base tree.
import assert from 'node:assert/strict'

import {refuseRaisedSecurelevel} from '../../src/base/securelevel.js'
import {recordingRunner} from '../support/recording-runner.js'

describe('base/securelevel', () => {
  const sysctl = (exitCode: number, stdout: string) => recordingRunner(() => ({exitCode, stdout})).runner

  it('refuses above 0, naming the level and what it means for the command', async () => {
    await assert.rejects(
      refuseRaisedSecurelevel(sysctl(0, '1\n'), 'the basejail cannot be changed'),
      /^UsageError: kern\.securelevel is 1: the basejail cannot be changed$/,
    )
  })

  it('allows -1 and 0, and a securelevel sysctl cannot read', async () => {
    const {runner, calls} = recordingRunner(() => ({stdout: '0\n'}))
    await refuseRaisedSecurelevel(runner, 'x')
    assert.deepEqual(calls, [{file: 'sysctl', args: ['-n', 'kern.securelevel']}])
    await refuseRaisedSecurelevel(sysctl(0, '-1\n'), 'x')
    await refuseRaisedSecurelevel(sysctl(1, ''), 'x')
  })
})
