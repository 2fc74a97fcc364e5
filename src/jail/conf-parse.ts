// jail.conf(5) parsing: jail(8)'s grammar (usr.sbin/jail/jailparse.y) and its per-jail merge of parameters (config.c).
import {confError, type Piece, type Token, tokenize} from './conf-lex.js'

export interface JailConfFile {
  name: string
  text: string
}

export interface ParseJailConfOptions {
  /** Where the text comes from (e.g. /etc/jail.conf): named in errors; relative `.include`s start in its directory. */
  fileName?: string
  /**
   * The files an `.include` pattern names, in the order jail(8) reads them (glob(3) sorts its matches). A relative
   * pattern arrives already prefixed with the including file's directory, when that file's name has one. A glob
   * may match no file; throw when a file cannot be read.
   */
  include?: (pattern: string) => JailConfFile[]
}

/** One jail as jail(8) sees it: its own parameters merged with the matching wildcard ones, variables substituted. */
export interface ParsedJail {
  /** The full name: nested blocks `foo { bar { } }` give `foo.bar`. */
  name: string
  /** Where the jail's block opens. */
  file: string
  line: number
  /**
   * Each parameter in the order first set, with its final values (`=` replaces, `+=` appends, a later
   * `allow.nomount` replaces `allow.mount` under its own spelling); true for one given without a value
   * (`persist;`). Variables and the `name` (or `jid`) implied by the block's name are left out.
   */
  params: Map<string, string[] | true>
}

interface Where {
  file: string
  line: number
}
interface Value {
  pieces: Piece[]
  where: Where
}
interface Definition {
  name: string
  variable: boolean
  append: boolean
  values: Value[]
  where: Where
}
interface Block {
  name: string
  definitions: Definition[]
  where: Where
}

const MAX_INCLUDE_DEPTH = 32
/** config.c's intparams: no variable may share their names; `name` and `jid` cannot be set twice. */
const KNOWN_PARAMS = (
  'allow.dying command depend exec.clean exec.consolelog exec.fib exec.jail_user exec.poststart ' +
  'exec.poststop exec.prepare exec.prestart exec.prestop exec.release exec.created exec.start ' +
  'exec.stop exec.system_jail_user exec.system_user exec.timeout interface ip_hostname mount ' +
  'mount.devfs mount.fdescfs mount.procfs mount.fstab stop.timeout vnet.interface zfs.dataset ' +
  'allow.chflags allow.mount allow.raw_sockets allow.set_hostname allow.socket_af allow.sysvipc ' +
  'devfs_ruleset host.hostname ip4.addr ip6.addr jid name path persist securelevel vnet'
).split(' ')

/** The jails TEXT defines, in file order, with the parameters jail(8) would give each; a SyntaxError names the line. */
export function parseJailConf(text: string, options: ParseJailConfOptions = {}): ParsedJail[] {
  const blocks = readBlocks(text, options)
  const wildcards = blocks.filter((b) => isWildName(b.name))
  return blocks.filter((b) => !isWildName(b.name)).map((jail) => resolveJail(jail, blocks, wildcards))
}

/** jailparse.y: every block (nested ones named parent.child) and, as `*`, every parameter outside a block. */
function readBlocks(text: string, options: ParseJailConfOptions): Block[] {
  const blocks: Block[] = []
  /** jailparse.y's global_jail: made at the first parameter outside any block, wherever later ones are written. */
  let globals: Block | undefined

  function parseFile(file: string, source: string, parent: Block | undefined, depth: number): void {
    const tokens = tokenize(source, file)
    let at = 0
    function fail(what: string, line = (tokens[at] ?? tokens[tokens.length - 1])?.line ?? 1): never {
      throw confError(file, line, what)
    }
    const isPunct = (token: Token | undefined, punct: string) =>
      token !== undefined && 'punct' in token && token.punct === punct
    const isString = (token: Token | undefined) => token !== undefined && 'pieces' in token
    const found = (token = tokens[at]) =>
      token === undefined ? 'the end of the file' : 'punct' in token ? `"${token.punct}"` : 'a string'

    function statements(current: Block | undefined, nested: boolean): void {
      while (at < tokens.length && !(nested && isPunct(tokens[at], '}'))) {
        if (isPunct(tokens[at], ';')) at++
        else if (isPunct(tokens[at], '}')) fail('"}" without a "{" to close')
        else if (isPunct(tokens[at + 1], '{')) block(current)
        else statement(current)
      }
    }
    function block(parent: Block | undefined): void {
      const token = tokens[at]
      const name = token !== undefined && 'pieces' in token ? onlyText(token.pieces) : undefined
      if (name === undefined)
        fail(
          'expected a jail name before "{": one word or one quoted string, without variables (write "foo.*" in quotes)',
        )
      const opened: Where = {file, line: tokens[at + 1]?.line ?? 1}
      const current: Block = {
        name: parent === undefined ? name : `${parent.name}.${name}`,
        definitions: [],
        where: opened,
      }
      blocks.push(current)
      at += 2
      statements(current, true)
      if (at >= tokens.length) fail(`jail "${current.name}": missing "}" to close this "{"`, opened.line)
      at++
    }
    function statement(current: Block | undefined): void {
      const nameValueForm = isString(tokens[at + 1])
      const definition = parameter()
      if (definition.name === '.include' && !definition.variable && nameValueForm)
        for (const value of definition.values) include(value, current)
      else if (current !== undefined) current.definitions.push(definition)
      else {
        if (globals === undefined) blocks.push((globals = {name: '*', definitions: [], where: definition.where}))
        globals.definitions.push(definition)
      }
    }
    /** `name;`, `name = v, …;`, `name += v, …;` or `name v, …;`; a `$name` defines a variable. */
    function parameter(): Definition {
      const token = tokens[at]
      const piece = token !== undefined && 'pieces' in token && token.pieces.length === 1 ? token.pieces[0] : undefined
      if (piece === undefined || token === undefined)
        fail(`expected a parameter name (one word or one quoted string), found ${found()}`)
      at++
      const where = {file, line: token.line}
      const append = isPunct(tokens[at], '+=')
      const assigned = append || isPunct(tokens[at], '=')
      if (assigned) at++
      const values: Value[] = []
      if (assigned || isString(tokens[at])) {
        values.push(value())
        while (isPunct(tokens[at], ',')) {
          at++
          values.push(value())
        }
      }
      if (!isPunct(tokens[at], ';')) fail(`expected ";", found ${found()}`)
      at++
      const name = 'text' in piece ? piece.text : piece.variable
      return {name, variable: 'variable' in piece, append, values, where}
    }
    function value(): Value {
      const token = tokens[at]
      if (token === undefined || !('pieces' in token)) fail(`expected a value, found ${found()}`)
      at++
      return {pieces: token.pieces, where: {file, line: token.line}}
    }
    /** jailparse.y's special_param and config.c's include_config: the files parse here, inside the current block. */
    function include(value: Value, current: Block | undefined): void {
      if (value.pieces.some((p) => 'variable' in p))
        fail("variables not permitted in '.include' filename", value.where.line)
      const written = value.pieces.map((p) => ('text' in p ? p.text : '')).join('')
      const pattern = written.startsWith('/') ? written : file.slice(0, file.lastIndexOf('/') + 1) + written
      if (options.include === undefined)
        fail(`.include "${pattern}" needs an include resolver (parseJailConf's include option)`, value.where.line)
      if (depth + 1 > MAX_INCLUDE_DEPTH) fail('maximum include depth exceeded', value.where.line)
      const files = options.include(pattern)
      if (files.length === 0 && !hasGlobMagic(pattern)) fail(`.include "${pattern}": no such file`, value.where.line)
      for (const included of files) parseFile(included.name, included.text, current, depth + 1)
    }

    statements(parent, false)
  }

  parseFile(options.fileName ?? 'jail.conf', text, undefined, 0)
  return blocks
}

function onlyText(pieces: Piece[]): string | undefined {
  const [piece, ...more] = pieces
  return piece !== undefined && 'text' in piece && more.length === 0 ? piece.text : undefined
}

/** glob(3)'s GLOB_MAGCHAR: an unescaped `*` or `?`, or a `[` closed by a later `]`. */
function hasGlobMagic(pattern: string): boolean {
  for (let i = 0; i < pattern.length; i++) {
    if (pattern[i] === '\\') i++
    else if (pattern[i] === '*' || pattern[i] === '?') return true
    else if (pattern[i] === '[' && pattern.indexOf(']', i + 2) !== -1) return true
  }
  return false
}

interface Param {
  name: string
  variable: boolean
  values: Value[]
  immutable: boolean
  /** The `name` or `jid` the block's name implies. */
  implied: boolean
}

/** config.c's load_config for one jail: collect its own and the wildcard parameters, then substitute variables. */
function resolveJail(jail: Block, blocks: Block[], wildcards: Block[]): ParsedJail {
  const implied = (name: string): Param => ({
    name,
    variable: false,
    values: [{pieces: [{text: jail.name}], where: jail.where}],
    immutable: true,
    implied: true,
  })
  function fail(where: Where, what: string): never {
    throw confError(where.file, where.line, `jail ${jail.name}: ${what}`)
  }
  /** A numeric name (what strtol reads as non-zero) implies the jid; any other name, the name. */
  const params = [implied(/^[ \t\n\v\f\r]*[+-]?0*[1-9][0-9]*$/.test(jail.name) ? 'jid' : 'name')]

  /** config.c's add_param: a later setting of the same parameter (equalopts) replaces the values, or += appends. */
  function add(definition: Definition): void {
    const {name, variable, append, values, where} = definition
    const existing = params.find((p) => equalOpts(p.name, name))
    const known = KNOWN_PARAMS.find((p) => equalOpts(name, p))
    if (existing === undefined ? variable && known !== undefined : existing.variable !== variable)
      fail(where, `variable "$${name}" cannot have the same name as a parameter`)
    if (existing === undefined) {
      params.push({name, variable, values, immutable: known === 'name' || known === 'jid', implied: false})
      return
    }
    if (existing.immutable) fail(where, `cannot redefine parameter "${existing.name}"`)
    existing.name = name
    existing.values = append && values.length > 0 ? [...existing.values, ...values] : values
  }
  /** Wildcard blocks before the jail's own block come first, so the jail's parameters override them. */
  let didSelf = false
  for (const wildcard of wildcards) {
    if (!didSelf && blocks.indexOf(jail) < blocks.indexOf(wildcard)) {
      jail.definitions.forEach(add)
      didSelf = true
    }
    if (wildMatch(jail.name, wildcard.name)) wildcard.definitions.forEach(add)
  }
  if (!didSelf) jail.definitions.forEach(add)
  if (!params.some((p) => equalOpts(p.name, 'name'))) params.push(implied('name'))

  const resolved = new Map<Param, string[]>()
  const resolving = new Set<Param>()
  function valuesOf(param: Param): string[] {
    const done = resolved.get(param)
    if (done !== undefined) return done
    resolving.add(param)
    const strings = param.values.flatMap((value) => substitute(param, value))
    resolving.delete(param)
    resolved.set(param, strings)
    return strings
  }
  /** Each variable in turn; one holding several values must be the whole string, which becomes several values. */
  function substitute(param: Param, value: Value): string[] {
    let text = ''
    const variables: Array<{name: string; at: number}> = []
    for (const piece of value.pieces)
      if ('text' in piece) text += piece.text
      else variables.push({name: piece.variable, at: text.length})
    let more: string[] = []
    let shift = 0
    variables.forEach(({name, at}, index) => {
      const target = params.find((p) => p.name === name)
      if (target === undefined || target.values.length === 0)
        fail(value.where, `${param.name}: variable "${name}" not found`)
      if (resolving.has(target)) fail(value.where, `${name}: variable loop`)
      const [first = '', ...rest] = valuesOf(target)
      if (rest.length > 0 && (text !== '' || index < variables.length - 1))
        fail(value.where, `${param.name}: array cannot be substituted inline`)
      text = text.slice(0, at + shift) + first + text.slice(at + shift)
      shift += first.length
      more = rest
    })
    return [text, ...more]
  }

  const result = new Map<string, string[] | true>()
  for (const param of params) {
    const values = valuesOf(param)
    if (!param.variable && !param.implied) result.set(param.name, values.length === 0 ? true : values)
  }
  return {name: jail.name, file: jail.where.file, line: jail.where.line, params: result}
}

/** config.c's equalopts: the same parameter, with or without a `no` prefix (`noallow.mount`, `allow.nomount`). */
function equalOpts(a: string, b: string): boolean {
  if (a === b || a === `no${b}` || b === `no${a}`) return true
  for (let dot = a.indexOf('.'); dot !== -1 && a.slice(0, dot + 1) === b.slice(0, dot + 1); dot = a.indexOf('.')) {
    a = a.slice(dot + 1)
    b = b.slice(dot + 1)
    if (a === `no${b}` || b === `no${a}`) return true
  }
  return false
}

/** config.c's wild_jail_name: a name with a whole `*` component. */
function isWildName(name: string): boolean {
  return name.split('.').includes('*')
}

/** config.c's wild_jail_match: a `*` component matches any one component, and a final `*` all the rest. */
function wildMatch(jail: string, wildcard: string): boolean {
  const j = jail.split('.')
  const w = wildcard.split('.')
  let k = 0
  for (; k < j.length - 1 && k < w.length - 1; k++) if (w[k] !== '*' && w[k] !== j[k]) return false
  const rest = w.slice(k).join('.')
  return rest === '*' || rest === j.slice(k).join('.')
}
