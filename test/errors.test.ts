// quote: every user value in a message is quoted and escaped to one printable line.
import assert from 'node:assert/strict'

import {quote, quoteUnlessPlain} from '../src/errors.js'

describe('quote', () => {
  it('quotes, so that an empty value shows', () => {
    assert.equal(quote(''), '""')
    assert.equal(quote('web1'), '"web1"')
  })

  it('escapes quotes, backslashes and C0 controls as JSON does', () => {
    assert.equal(quote('a"b\\c'), '"a\\"b\\\\c"')
    assert.equal(quote('a\nb\tc\x1b[2J\x00'), '"a\\nb\\tc\\u001b[2J\\u0000"')
  })

  it('escapes what JSON leaves raw: DEL, C1 controls, line separators, bidi overrides, private use', () => {
    assert.equal(quote('\x7f\x85\x9b'), '"\\u007f\\u0085\\u009b"')
    assert.equal(quote('a\u2028b\u2029c'), '"a\\u2028b\\u2029c"')
    assert.equal(quote('\u202egpj.exe\u200b'), '"\\u202egpj.exe\\u200b"')
    assert.equal(quote('\u{f0000}'), '"\\u{f0000}"')
  })

  it('keeps printable text, non-ASCII letters included', () => {
    assert.equal(quote('ünï 日本 $(id)'), '"ünï 日本 $(id)"')
  })
})

describe('quoteUnlessPlain', () => {
  it('leaves plain words as they are', () => {
    for (const word of ['run1', '--bogus', '-Z', 'www.example.com', '--all=x', 'http://127.0.0.1:80/a,b+c@d']) {
      assert.equal(quoteUnlessPlain(word), word)
    }
  })

  it('quotes anything else', () => {
    assert.equal(quoteUnlessPlain(''), '""')
    assert.equal(quoteUnlessPlain('a b'), '"a b"')
    assert.equal(quoteUnlessPlain('ü'), '"ü"')
    assert.equal(quoteUnlessPlain('--\x1b[2J'), '"--\\u001b[2J"')
  })
})
