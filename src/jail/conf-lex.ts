// jail.conf(5) tokens: how jail(8)'s lexer (usr.sbin/jail/jaillex.l) cuts text into strings, variables and punctuation.
import {quote} from '../errors.js'

/** One lexeme of a string: literal text (escapes decoded), or a `$name` / `${name}` to substitute later. */
export type Piece = {text: string} | {variable: string}
export type Punct = ',' | ';' | '=' | '{' | '}' | '+='
/**
 * A punctuation mark, or a string: lexemes written without whitespace between them (`/a/"b c"`) join into
 * one string, as jaillex.l returns STR then STR1/VAR1. A jail or parameter name must be a single lexeme.
 */
export type Token = {line: number} & ({punct: Punct} | {pieces: Piece[]})

export function confError(file: string, line: number, what: string): SyntaxError {
  return new SyntaxError(`${file} line ${line}: ${what}`)
}

const WORD = /[A-Za-z0-9_!%&()\-.:<>?@[\]^`|~]+/y
const VARIABLE_NAME = /[A-Za-z_][A-Za-z_0-9]*/y
const OCTAL = /[0-7]{1,3}/y
const HEX = /[0-9A-Fa-f]{1,2}/y
const CONTROLS: Readonly<Record<string, number>> = {a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11}
const utf8 = new TextDecoder('utf-8', {fatal: true})
const encoder = new TextEncoder()

function sticky(pattern: RegExp, text: string, at: number): string | undefined {
  pattern.lastIndex = at
  return pattern.exec(text)?.[0]
}

/** Length of the backslash escape at AT: `\` and one character, 1-3 octal digits, or `x` and 0-2 hex digits. */
function escapeLength(text: string, at: number): number {
  const octal = sticky(OCTAL, text, at + 1)
  if (octal !== undefined) return 1 + octal.length
  if (text[at + 1] === 'x') return 2 + (sticky(HEX, text, at + 2)?.length ?? 0)
  return text[at + 1] === undefined ? 1 : 1 + String.fromCodePoint(text.codePointAt(at + 1) ?? 0).length
}

/**
 * jaillex.l's text2lval: escapes decoded into bytes (`\a`…`\v`, octal, hex, backslash-newline dropped, any
 * other character as itself), the string ending at the first NUL byte as in C. Undefined when the bytes are
 * not UTF-8.
 */
function decode(raw: string): string | undefined {
  const bytes: number[] = []
  for (let i = 0; i < raw.length;) {
    const length = raw[i] === '\\' ? escapeLength(raw, i) : String.fromCodePoint(raw.codePointAt(i) ?? 0).length
    const escaped = raw.slice(i + 1, i + length)
    if (raw[i] !== '\\') bytes.push(...encoder.encode(raw.slice(i, i + length)))
    else if (/^[0-7]/.test(escaped)) bytes.push(parseInt(escaped, 8) & 0xff)
    else if (escaped.startsWith('x')) bytes.push(escaped === 'x' ? 0 : parseInt(escaped.slice(1), 16))
    else if (escaped === '') bytes.push(0)
    else if (escaped !== '\n')
      bytes.push(...(CONTROLS[escaped] === undefined ? encoder.encode(escaped) : [CONTROLS[escaped]]))
    i += length
  }
  const nul = bytes.indexOf(0)
  try {
    return utf8.decode(Uint8Array.from(nul === -1 ? bytes : bytes.slice(0, nul)))
  } catch {
    return undefined
  }
}

/** TEXT's tokens; FILE names it in errors (unterminated strings, comments and variables, stray characters). */
export function tokenize(text: string, file: string): Token[] {
  const tokens: Token[] = []
  let line = 1
  let at = 0
  /** jaillex.l's instr: the previous lexeme was part of a string, so the next one joins it. */
  let joining = false
  function fail(what: string, where = line): never {
    throw confError(file, where, what)
  }
  const countLines = (from: number, to: number) => (line += text.slice(from, to).split('\n').length - 1)
  function add(piece: Piece, where: number): void {
    const last = tokens[tokens.length - 1]
    if (joining && last !== undefined && 'pieces' in last) last.pieces.push(piece)
    else tokens.push({line: where, pieces: [piece]})
    joining = true
  }
  function unescape(raw: string): string {
    return decode(raw) ?? fail('escapes that do not make UTF-8 text')
  }
  /** Index of the quote closing the string that opens at AT (backslash escapes skipped). */
  function closingQuote(quote: string): number {
    for (let i = at + 1; i < text.length; i++) {
      if (text[i] === '\\') i++
      else if (text[i] === quote) return i
    }
    return fail('unterminated string')
  }
  /** The `$name`, `${name}` or lone `$` at i, ending before END; returns the piece and where it ends. */
  function dollar(i: number, end: number): [Piece, number] {
    const simple = sticky(VARIABLE_NAME, text, i + 1)
    if (simple !== undefined) return [{variable: simple}, i + 1 + simple.length]
    if (text[i + 1] !== '{') return [{text: '$'}, i + 1]
    let close = i + 2
    for (; text[close] !== '}'; close += text[close] === '\\' ? 2 : 1)
      if (close >= end || text[close] === '\n' || text[close] === '{') fail('unterminated variable')
    return [{variable: unescape(text.slice(i + 2, close))}, close + 1]
  }
  /** A double-quoted string: text pieces split at each `$`, which is a variable unless no name follows it. */
  function doubleQuoted(): void {
    const start = line
    const end = closingQuote('"')
    let segment = at + 1
    let first = true
    for (let i = segment; i < end;) {
      if (text[i] === '\\') {
        i += 2
        continue
      }
      if (text[i] !== '$') {
        i++
        continue
      }
      add({text: unescape(text.slice(segment, i))}, start)
      const [piece, next] = dollar(i, end)
      add(piece, start)
      segment = i = next
      first = false
    }
    if (first || segment < end) add({text: unescape(text.slice(segment, end))}, start)
    countLines(at, end)
    at = end + 1
  }

  while (at < text.length) {
    const c = text[at] ?? ''
    const pair = text.slice(at, at + 2)
    let next = at + 1
    if (c === '\n' || c === ' ' || c === '\t' || c === '\r') {
      if (c === '\n') line++
      joining = false
    } else if (c === '#' || pair === '//') {
      const newline = text.indexOf('\n', at)
      next = newline === -1 ? text.length : newline
    } else if (pair === '/*') {
      const close = text.indexOf('*/', at + 2)
      if (close === -1) fail('unterminated comment')
      next = close + 2
      countLines(at, next)
      joining = false
    } else if (pair === '+=' || ',;={}'.includes(c)) {
      tokens.push({line, punct: pair === '+=' ? '+=' : (c as Punct)})
      next = at + (pair === '+=' ? 2 : 1)
      joining = false
    } else if (c === '"') {
      doubleQuoted()
      continue
    } else if (c === "'") {
      next = closingQuote("'") + 1
      add({text: unescape(text.slice(at + 1, next - 1))}, line)
      countLines(at, next)
    } else if (c === '$') {
      const [piece, end] = dollar(at, text.length)
      add(piece, line)
      next = end
      countLines(at, next)
    } else if (c === '\\') {
      next = at + escapeLength(text, at)
      if (text.charCodeAt(at + 1) > 0x7f) fail(`unexpected character ${quote(text.slice(at + 1, next))}`)
      add({text: unescape(text.slice(at, next))}, line)
      countLines(at, next)
    } else if ('*+/'.includes(c)) {
      add({text: c}, line)
    } else {
      const character = String.fromCodePoint(text.codePointAt(at) ?? 0)
      const word = sticky(WORD, text, at) ?? fail(`unexpected character ${quote(character)}`)
      add({text: word}, line)
      next = at + word.length
    }
    at = next
  }
  return tokens
}
