import assert from 'node:assert/strict'

import type {JailRunResult} from '../../src/run/service.js'
import {renderRunResult} from '../../src/run/view.js'

const jail = (over: Partial<JailRunResult>): JailRunResult => ({
  name: 'web1',
  action: 'start',
  ok: true,
  message: 'started',
  noop: false,
  skipped: false,
  error: null,
  output: null,
  durationMs: 1234,
  firstboot: [],
  ...over,
})

describe('run/view', () => {
  it('prints one line per jail and the failed output on stderr under the jail name', () => {
    const rendered = renderRunResult({
      action: 'start',
      ok: false,
      dryRun: false,
      plan: [],
      jails: [
        jail({firstboot: ['10-pkg']}),
        jail({name: 'db1', noop: true, message: 'already running', durationMs: 0}),
        jail({name: 'bad', ok: false, message: 'jail -f x -c bad failed (exit 1)', output: 'line 1\nline 2'}),
      ],
    })
    assert.deepEqual(rendered.stdout, [
      'web1: started, first-start scripts 10-pkg (1.2 s)',
      'db1: already running',
      'bad: FAILED: jail -f x -c bad failed (exit 1)',
    ])
    assert.deepEqual(rendered.stderr, ['--- output of bad:', '  line 1', '  line 2'])
  })
})
