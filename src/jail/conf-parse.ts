// jail.conf(5) parsing: a tokenizer and parser following jail(8)'s own lexer and grammar, for reading files back.

/*
 * What is understood, as jail(8) reads it (usr.sbin/jail/jaillex.l, jailparse.y, config.c):
 *  - comments `#…`, `//…` and `/* … *\/`; whitespace;
 *  - bare tokens (letters, digits and !%&()-.:<>?@[]^`|~*+/), single- and double-quoted strings, and
 *    pieces written next to each other without whitespace, which join into one string (`/a/"b c"`);
 *  - backslash escapes everywhere (also in single quotes): \a \b \f \n \r \t \v, 1-3 octal digits,
 *    \x and 1-2 hex digits, backslash-newline to continue a line, any other character as itself;
 *  - `name;` (a boolean, returned as true), `name = v1, v2;`, `name += v3;`, `name v1;`;
 *  - jail blocks `NAME { … }`, parameters outside any block (the `*` wildcard), wildcard blocks `*` and
 *    `foo.*`, and variables `$var = …;` with `$var` / `${var}` substituted in bare tokens and double
 *    quotes (never in single quotes).
 * The result is what jail(8) would use for each named jail, like `jail -e`: its own parameters merged
 * with the wildcard ones in file order, `no`-prefixed spellings merged with the plain ones (the later
 * wins, under its own spelling), variables substituted and dropped. Wildcard blocks do not appear.
 * `.include` directives are skipped: this is a pure function and reads no other file.
 * Malformed text throws a SyntaxError naming the line.
 */

type Piece = {text: string} | {variable: string}
type Token = {line: number} & ({punct: ',' | ';' | '=' | '{' | '}' | '+='} | {pieces: Piece[]})
interface Param {
  name: string
  variable: boolean
  append: boolean
  values: Piece[][]
}
interface Block {
  name: string
  params: Param[]
}

export interface ParsedJail {
  name: string
  /** Each parameter's values; true for a parameter given without a value (`persist;`). */
  params: Map<string, string[] | true>
}

/** The jails TEXT defines, with the parameters jail(8) would give each of them. */
export function parseJailConf(text: string): ParsedJail[] {
  const blocks = parseBlocks(tokenize(text))
  const isWild = (name: string) => name.split('.').includes('*')
  const wild = blocks.filter((b) => isWild(b.name))
  return blocks.filter((b) => !isWild(b.name)).map((jail) => resolveJail(jail, blocks, wild))
}

const WORD = /[A-Za-z0-9_!%&()\-.:<>?@[\]^`|~]+/y
const SIMPLE_VARIABLE = /\$([A-Za-z_][A-Za-z_0-9]*)/y
const OCTAL = /[0-7]{1,3}/y
const HEX = /[0-9A-Fa-f]{1,2}/y
const CONTROLS: Readonly<Record<string, string>> = {a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v'}

function sticky(pattern: RegExp, text: string, at: number): RegExpExecArray | null {
  pattern.lastIndex = at
  return pattern.exec(text)
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = []
  let line = 1
  let joining = false
  let i = 0
  function fail(what: string, at = line): never {
    throw new SyntaxError(`jail.conf line ${at}: ${what}`)
  }
  function addPiece(piece: Piece, at: number): void {
    const last = tokens[tokens.length - 1]
    if (joining && last !== undefined && 'pieces' in last) last.pieces.push(piece)
    else tokens.push({line: at, pieces: [piece]})
    joining = true
  }
  /** Reads the escape whose backslash is at i; returns the text it stands for. */
  function escape(): string {
    const next = text[i + 1]
    if (next === undefined) fail('backslash at the end of the file')
    const octal = sticky(OCTAL, text, i + 1)?.[0]
    if (octal !== undefined) {
      i += 1 + octal.length
      return String.fromCharCode(parseInt(octal, 8) & 0xff)
    }
    i += 2
    if (next === 'x') {
      const hex = sticky(HEX, text, i)?.[0] ?? ''
      i += hex.length
      return String.fromCharCode(hex === '' ? 0 : parseInt(hex, 16))
    }
    if (next !== '\n') return CONTROLS[next] ?? next
    line++
    return ''
  }
  /** Reads `$name` or `${name}` at i, if there is one. */
  function variable(): string | undefined {
    const simple = sticky(SIMPLE_VARIABLE, text, i)
    if (simple?.[1] !== undefined) {
      i += simple[0].length
      return simple[1]
    }
    if (text[i + 1] !== '{') return undefined
    i += 2
    let name = ''
    for (let c = text[i]; c !== '}'; c = text[i]) {
      if (c === undefined || c === '\n' || c === '{' || c === '"') fail('unterminated variable')
      if (c === '\\') {
        name += escape()
      } else {
        name += c
        i++
      }
    }
    i++
    return name
  }
  function quoted(quote: string): void {
    const start = line
    const pieces: Piece[] = []
    let literal = ''
    i++
    for (let c = text[i]; c !== quote; c = text[i]) {
      if (c === undefined) fail('unterminated string', start)
      const name = quote === '"' && c === '$' ? variable() : undefined
      if (name !== undefined) {
        pieces.push({text: literal}, {variable: name})
        literal = ''
      } else if (c === '\\') {
        literal += escape()
      } else {
        if (c === '\n') line++
        literal += c
        i++
      }
    }
    i++
    for (const piece of [...pieces, {text: literal}]) addPiece(piece, start)
  }

  while (i < text.length) {
    const c = text[i] ?? ''
    const pair = text.slice(i, i + 2)
    if (c === ' ' || c === '\t' || c === '\r' || c === '\n') {
      if (c === '\n') line++
      joining = false
      i++
    } else if (c === '#' || pair === '//') {
      const end = text.indexOf('\n', i)
      i = end === -1 ? text.length : end
    } else if (pair === '/*') {
      const end = text.indexOf('*/', i + 2)
      if (end === -1) fail('unterminated comment')
      line += text.slice(i, end).split('\n').length - 1
      i = end + 2
      joining = false
    } else if (pair === '+=' || ',;={}'.includes(c)) {
      tokens.push({line, punct: pair === '+=' ? '+=' : (c as ',' | ';' | '=' | '{' | '}')})
      i += pair === '+=' ? 2 : 1
      joining = false
    } else if (c === '"' || c === "'") {
      quoted(c)
    } else if (c === '\\') {
      addPiece({text: escape()}, line)
    } else if (c === '$') {
      const name = variable()
      if (name === undefined) i++
      addPiece(name === undefined ? {text: '$'} : {variable: name}, line)
    } else {
      const word = '*+/'.includes(c) ? c : sticky(WORD, text, i)?.[0]
      if (word === undefined) fail(`unexpected character ${JSON.stringify(c)}`)
      addPiece({text: word}, line)
      i += word.length
    }
  }
  return tokens
}

function parseBlocks(tokens: Token[]): Block[] {
  const blocks: Block[] = []
  let at = 0
  function fail(what: string): never {
    const token = tokens[Math.min(at, tokens.length - 1)]
    throw new SyntaxError(`jail.conf line ${token?.line ?? 1}: ${what}`)
  }
  const isPunct = (token: Token | undefined, p: string) => token !== undefined && 'punct' in token && token.punct === p
  const isString = (token: Token | undefined) => token !== undefined && 'pieces' in token
  function word(what: string): Piece {
    const token = tokens[at++]
    const piece = token !== undefined && 'pieces' in token && token.pieces.length === 1 ? token.pieces[0] : undefined
    return piece ?? fail(`expected ${what}`)
  }
  function value(): Piece[] {
    const token = tokens[at]
    if (token === undefined || !('pieces' in token)) fail('expected a value')
    at++
    return token.pieces
  }
  function param(): Param {
    const name = word('a parameter name')
    const append = isPunct(tokens[at], '+=')
    const assigned = append || isPunct(tokens[at], '=')
    if (assigned) at++
    const values: Piece[][] = []
    if (assigned || isString(tokens[at])) {
      values.push(value())
      while (isPunct(tokens[at], ',')) {
        at++
        values.push(value())
      }
    }
    if (!isPunct(tokens[at], ';')) fail('expected ";"')
    at++
    return 'variable' in name
      ? {name: name.variable, variable: true, append, values}
      : {name: name.text, variable: false, append, values}
  }

  while (at < tokens.length) {
    if (isPunct(tokens[at], ';')) {
      at++
    } else if (isPunct(tokens[at + 1], '{')) {
      const name = word('a jail name')
      if ('variable' in name) fail('a jail name cannot be a variable')
      at++
      const block: Block = {name: name.text, params: []}
      while (!isPunct(tokens[at], '}')) {
        if (at >= tokens.length) fail(`jail ${block.name}: missing "}"`)
        if (isPunct(tokens[at], ';')) at++
        else block.params.push(param())
      }
      at++
      blocks.push(block)
    } else {
      const p = param()
      const last = blocks[blocks.length - 1]
      if (p.name === '.include') continue
      if (last?.name === '*') last.params.push(p)
      else blocks.push({name: '*', params: [p]})
    }
  }
  return blocks
}

/** jail(8)'s merge for one jail: its parameters plus the matching wildcard ones, in file order, then variables. */
function resolveJail(jail: Block, blocks: Block[], wild: Block[]): ParsedJail {
  const params: Param[] = [{name: 'name', variable: false, append: false, values: [[{text: jail.name}]]}]
  function fail(what: string): never {
    throw new SyntaxError(`jail.conf: jail ${jail.name}: ${what}`)
  }
  function add(p: Param): void {
    const existing = params.find((e) => equalOpts(e.name, p.name))
    if (existing === undefined) {
      params.push({...p, values: [...p.values]})
      return
    }
    if (existing.variable !== p.variable) fail(`variable "$${p.name}" cannot have the same name as a parameter`)
    if (existing.name === 'name') fail('cannot redefine parameter "name"')
    existing.name = p.name
    existing.values = p.append ? [...existing.values, ...p.values] : [...p.values]
  }
  const seq = (b: Block) => blocks.indexOf(b)
  let didSelf = false
  for (const w of wild) {
    if (seq(jail) < seq(w) && !didSelf) {
      jail.params.forEach(add)
      didSelf = true
    }
    if (wildMatch(jail.name, w.name)) w.params.forEach(add)
  }
  if (!didSelf) jail.params.forEach(add)

  const resolved = new Map<Param, string[]>()
  function resolve(p: Param, visiting: Set<Param>): string[] {
    const done = resolved.get(p)
    if (done !== undefined) return done
    if (visiting.has(p)) fail(`variable loop through "${p.name}"`)
    visiting.add(p)
    const strings = p.values.flatMap((pieces) => {
      const vars = pieces.filter((piece) => 'variable' in piece)
      const hasText = pieces.some((piece) => 'text' in piece && piece.text !== '')
      let out = ['']
      for (const piece of pieces) {
        if ('text' in piece) {
          out = out.map((s) => s + piece.text)
          continue
        }
        const target = params.find((e) => e.name === piece.variable)
        if (target === undefined || target.values.length === 0)
          fail(`${p.name}: variable "${piece.variable}" not found`)
        const values = resolve(target, visiting)
        if (values.length > 1 && (hasText || vars.length > 1)) fail(`${p.name}: array cannot be substituted inline`)
        out = values.length > 1 ? values : out.map((s) => s + (values[0] ?? ''))
      }
      return out
    })
    visiting.delete(p)
    resolved.set(p, strings)
    return strings
  }
  const result = new Map<string, string[] | true>()
  for (const p of params.slice(1).filter((e) => !e.variable)) {
    const values = resolve(p, new Set())
    result.set(p.name, values.length === 0 ? true : values)
  }
  return {name: jail.name, params: result}
}

/** jail(8)'s equalopts: the same parameter, with or without a `no` prefix on a name component. */
function equalOpts(a: string, b: string): boolean {
  if (a === b || a === `no${b}` || b === `no${a}`) return true
  const dot = a.indexOf('.')
  return dot !== -1 && a.slice(0, dot + 1) === b.slice(0, dot + 1) && equalOpts(a.slice(dot + 1), b.slice(dot + 1))
}

/** jail(8)'s wild_jail_match: `*` matches one name component, a final `*` one or more. */
function wildMatch(jail: string, wildName: string): boolean {
  const j = jail.split('.')
  const w = wildName.split('.')
  for (let k = 0; k < w.length; k++) {
    if (w[k] === '*' && k === w.length - 1) return j.length > k
    if (k >= j.length || (w[k] !== '*' && w[k] !== j[k])) return false
  }
  return j.length === w.length
}
