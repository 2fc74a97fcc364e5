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
    [`base.txz\t${sha('b')}\t1\t\t"B"\ton`, /line 1: bad set name "" for base\.txz/],
    [`base.txz\t${sha('b')}\t1\tba se\t"B"\ton`, /line 1: bad set name "ba se"/],
    [
      `base.txz\t${sha('b')}\t1\tbase\t"B"\ton\nsrc.txz\t${sha('c')}\t1\tsrc\t"S"\ton\nother.txz\t${sha('d')}\t1\tbase\t"B"\ton`,
      /line 3: set base listed again \(first on line 1\)/,
    ],
    [
      `base.txz\t${sha('b')}\t1\tbase\t"B"\ton\n\nbase.txz\t${sha('c')}\t1\tbase2\t"B"\ton`,
      /line 3: file base\.txz listed again \(first on line 1\)/,
    ],
    [`base.txz\t${sha('b')}\t1\tbase\t"B"\ton\nbase.txz`, /line 2: expected 6 tab-separated fields, found 1/],
  ] as const) {
    it(`rejects ${JSON.stringify(line.slice(0, 30))} (${why.source})`, () => {
      assert.throws(
        () => parseManifest(line, 'mirror'),
        (e: Error) => e instanceof OperationError && why.test(e.message),
      )
    })
  }
})
