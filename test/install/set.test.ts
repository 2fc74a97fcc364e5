import assert from 'node:assert/strict'

import {setProgressLine} from '../../src/install/set.js'

describe('install/set: the live progress line of a set', () => {
  it("bytes, rate, entries out of MANIFEST's count and the share done", () => {
    assert.equal(
      setProgressLine({file: 'base.txz', bytes: 50e6, entries: 5000, totalEntries: 20000, elapsedMs: 2000}),
      'base.txz: 50.0 MB read, 25.0 MB/s, 5000/20000 entries (25%) extracted',
    )
  })

  it('never over 100% (MANIFEST may undercount), no rate before time passed, no share without a count', () => {
    assert.equal(
      setProgressLine({file: 'lib32.txz', bytes: 0, entries: 12, totalEntries: 10, elapsedMs: 0}),
      'lib32.txz: 0.0 MB read, 12/10 entries (100%) extracted',
    )
    assert.equal(
      setProgressLine({file: 'src.txz', bytes: 1e6, entries: 3, totalEntries: undefined, elapsedMs: 500}),
      'src.txz: 1.0 MB read, 2.0 MB/s, 3 entries extracted',
    )
  })
})
