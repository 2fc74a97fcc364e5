import assert from 'node:assert/strict'

import {OperationError} from '../../src/errors.js'
import {parseManifest, renderManifest} from '../../src/dist/manifest.js'

const sha = (c: string) => c.repeat(64)

describe('dist/manifest', () => {
  it("parses FreeBSD's six tab-separated columns", () => {
    const text = [
      `base-dbg.txz\t${sha('a')}\t9\tbase_dbg\t"Base system (Debugging)"\toff`,
      `base.txz\t${sha('b')}\t1234\tbase\t"Base system (MANDATORY)"\ton`,
      `lib32.txz\t${sha('c')}\t77\tlib32\t"32-bit compatibility libraries"\ton`,
      '',
    ].join('\n')
    const sets = parseManifest(text, 'test')
    assert.deepEqual([...sets.keys()], ['base_dbg', 'base', 'lib32'])
    assert.deepEqual(sets.get('base'), {
      file: 'base.txz',
      sha256: sha('b'),
      entries: 1234,
      name: 'base',
      description: 'Base system (MANDATORY)',
      selected: true,
    })
  })

  it('writes back the text it parsed (the MANIFEST install keeps in the cache)', () => {
    const text = [
      `base.txz\t${sha('b')}\t1234\tbase\t"Base system (MANDATORY)"\ton`,
      `base-dbg.txz\t${sha('a')}\t9\tbase_dbg\t"Base system (Debugging)"\toff`,
      '',
    ].join('\n')
    assert.equal(renderManifest(parseManifest(text, 'test')), text)
  })

  for (const [line, why] of [
    [`base.txz ${sha('b')} 1 base "B" on`, /expected 6 tab-separated fields/],
    [`base.txz\t${sha('B')}\t1\tbase\t"B"\ton`, /bad sha256/],
    [`base.txz\tabc\t1\tbase\t"B"\ton`, /bad sha256/],
    [`base.txz\t${sha('b')}\tmany\tbase\t"B"\ton`, /bad entry count/],
    [`base.txz\t${sha('b')}\t1\tbase\tB\ton`, /not double-quoted/],
    [`base.txz\t${sha('b')}\t1\tbase\t"B"\tyes`, /must be on or off/],
    [`../base.txz\t${sha('b')}\t1\tbase\t"B"\ton`, /bad file name/],
    ['', /lists no sets/],
  ] as const) {
    it(`rejects ${JSON.stringify(line.slice(0, 30))}`, () => {
      assert.throws(
        () => parseManifest(line, 'mirror'),
        (e: Error) => e instanceof OperationError && why.test(e.message),
      )
    })
  }
})
