import assert from 'node:assert/strict'
import {isUtf8} from 'node:buffer'

import {fsPath, hasRawBytes, nameBytes, nameText} from '../../src/system/byte-names.js'

const bytes = (...values: number[]) => Buffer.from(values)

describe('byte names (file names that are not UTF-8 as strings)', () => {
  it('keeps UTF-8 as it is: plain strings, no raw bytes', () => {
    for (const name of ['plain', 'café', 'Ωmega', '日本', 'emoji 😀', 'new\nline', '']) {
      assert.equal(nameText(Buffer.from(name)), name)
      assert.equal(hasRawBytes(name), false, name)
      assert.equal(fsPath(name), name)
    }
  })

  it('keeps each byte outside valid UTF-8 as U+DC00 + byte, and gives back the same bytes', () => {
    const latin1 = bytes(0x63, 0x61, 0x66, 0xe9) // "café" in ISO 8859-1
    assert.equal(nameText(latin1), 'caf\udce9')
    assert.ok(hasRawBytes('caf\udce9'))
    assert.deepEqual(fsPath('caf\udce9'), latin1)
    const cases = [
      latin1,
      bytes(0xff),
      bytes(0xc0, 0xaf), // overlong "/"
      bytes(0xe0, 0x80, 0xaf), // overlong
      bytes(0xed, 0xa0, 0x80), // an encoded surrogate (CESU-8)
      bytes(0xf4, 0x90, 0x80, 0x80), // above U+10FFFF
      bytes(0xe2, 0x82), // truncated sequence
      bytes(0x61, 0xf0, 0x9f, 0x98), // truncated 4-byte sequence at the end
      bytes(0xf0, 0x90, 0x82, 0x80, 0xdc, 0x80), // U+10080 (low surrogate DC80) then a lone byte
      Buffer.concat([Buffer.from('dé'), bytes(0xe9, 0x80), Buffer.from('/x')]),
    ]
    for (const raw of cases) {
      const text = nameText(raw)
      assert.deepEqual(nameBytes(text), raw, raw.toString('hex'))
      assert.deepEqual(Buffer.from(fsPath(text)), raw, raw.toString('hex'))
    }
  })

  it('every byte pair round-trips, and only names with a byte outside UTF-8 have raw bytes', () => {
    for (let a = 0; a < 256; a++) {
      for (let b = 0; b < 256; b += 7) {
        const raw = bytes(a, b, 0x41)
        const text = nameText(raw)
        assert.deepEqual(nameBytes(text), raw)
        assert.equal(hasRawBytes(text), !isUtf8(raw))
      }
    }
  })

  it('a character above U+FFFF whose low half is U+DC80-U+DCFF is text, not a kept byte', () => {
    const text = '\u{10080}'
    assert.equal(text, '\ud800\udc80')
    assert.equal(hasRawBytes(text), false)
    assert.equal(fsPath(text), text)
    assert.deepEqual(nameBytes(text), Buffer.from(text))
  })
})
