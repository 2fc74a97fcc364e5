// update's report: a change of version, updates that left the version as it was, and nothing to install.
import assert from 'node:assert/strict'

import {renderUpdate} from '../../src/update/render.js'
import type {UpdateResult} from '../../src/update/service.js'

const result = (extra: Partial<UpdateResult>): UpdateResult => ({
  action: 'patch',
  basejail: '/usr/jails/basejail',
  versionBefore: '14.3-RELEASE-p2',
  versionAfter: '14.3-RELEASE-p5',
  release: '14.3-RELEASE',
  installRounds: 1,
  snapshot: null,
  jails: [],
  newjail: null,
  durationMs: {base: 1200, jails: 0},
  upToDate: false,
  attention: false,
  dryRun: false,
  plan: [],
  etcMerged: false,
  notes: [],
  ...extra,
})

describe('update/render', () => {
  it('shows the version change', () => {
    assert.deepEqual(renderUpdate(result({})), ['basejail /usr/jails/basejail: 14.3-RELEASE-p2 -> 14.3-RELEASE-p5'])
  })

  it('says so when installed updates left the userland version as it was, instead of "X -> X"', () => {
    assert.deepEqual(renderUpdate(result({versionAfter: '14.3-RELEASE-p2'})), [
      'basejail /usr/jails/basejail: updates installed; its userland version is still 14.3-RELEASE-p2',
    ])
  })

  it('nothing to install: up to date, in one line', () => {
    assert.deepEqual(renderUpdate(result({upToDate: true, versionAfter: '14.3-RELEASE-p2', installRounds: 0})), [
      'basejail /usr/jails/basejail: 14.3-RELEASE-p2 is up to date: freebsd-update fetch found no updates',
    ])
  })
})
