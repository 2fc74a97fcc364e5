// etcupdate's argv and the conflict lines tsez reads from its output.
import assert from 'node:assert/strict'

import {etcExtractArgv, etcMergeArgv, mergeEtc, parseConflicts} from '../../src/etc/etcupdate.js'
import {recordingRunner} from '../support/recording-runner.js'

describe('etc/etcupdate', () => {
  it('builds the documented argv', () => {
    assert.deepEqual(etcExtractArgv('/j/www', '/db/etc-14.3-RELEASE.tbz'), [
      'extract',
      '-D',
      '/j/www',
      '-t',
      '/db/etc-14.3-RELEASE.tbz',
    ])
    assert.deepEqual(etcMergeArgv('/j/www', '/db/etc-15.1-RELEASE.tbz'), [
      '-D',
      '/j/www',
      '-t',
      '/db/etc-15.1-RELEASE.tbz',
    ])
  })

  it('reads conflicts from "  C path" lines only', () => {
    const output = [
      '  U /etc/rc',
      '  C /etc/rc.conf',
      '  A /etc/new',
      '  C /etc/ssh/sshd_config',
      'Warnings:',
      ' C /etc/no',
    ].join('\n')
    assert.deepEqual(parseConflicts(output), ['/etc/rc.conf', '/etc/ssh/sshd_config'])
  })

  it('reports new conflicts of a successful run without an error, and a failure with its last lines', async () => {
    const ok = recordingRunner(() => ({stdout: '  M /etc/rc\n  C /etc/hosts\n'}))
    assert.deepEqual(await mergeEtc(ok.runner, '/j/a', '/t.tbz'), {conflicts: ['/etc/hosts'], error: null})
    assert.deepEqual(ok.calls, [{file: 'etcupdate', args: ['-D', '/j/a', '-t', '/t.tbz']}])
    const failed = recordingRunner(() => ({
      exitCode: 1,
      stdout: 'No previous tree to compare against, a sane comparison is not possible.\n',
    }))
    const outcome = await mergeEtc(failed.runner, '/j/b', '/t.tbz')
    assert.deepEqual(outcome.conflicts, [])
    assert.match(outcome.error ?? '', /^etcupdate -D \/j\/b failed \(exit 1\): No previous tree/)
  })
})
