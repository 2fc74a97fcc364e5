// Reading sh files made of `[export] NAME="value"` lines (ezjail.conf, ezjail's jail files) without running them.
import {quote} from '../errors.js'

/*
 * ezjail's files are sh that ezjail and rc.d/ezjail load with `.`; tsez never executes them. This reader takes
 * the subset those files are written in and refuses everything else, naming the line:
 *  - blank lines and `#` comments (kept: rc.d/ezjail's rcorder keywords live in them);
 *  - `NAME=VALUE` and `export NAME=VALUE`, optionally followed by a `# comment`; `export NAME` alone;
 *  - VALUE made of bare characters, '…' (literal) and "…" (where `\` quotes `$ \` " \\` as sh does, and
 *    `$NAME` / `${NAME}` expand a variable set earlier in the file or given by the caller, as sh would).
 * Refused: command substitution (`$(…)`, backquotes), `${NAME:-…}` and every other expansion operator,
 * `$1`/`$@`-style parameters, quotes left open at the end of a line, `;` `&` `|` `<` `>` `(` `)` outside
 * quotes, and any line that is not one of the above (functions, `if`, `. other-file`, `unset`, …).
 */

export interface ShProblem {
  line: number
  message: string
}

export interface ShAssignments {
  /** Every variable's final value, in the order first assigned. */
  values: Map<string, string>
  /** The text of each comment line, without its leading `#`. */
  comments: string[]
  problems: ShProblem[]
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/
const OPERATORS = new Set([';', '&', '|', '<', '>', '(', ')', '`'])

/** Reads TEXT; INITIAL are the variables `$NAME` may refer to before the file sets them (defaults). */
export function readShAssignments(text: string, initial: ReadonlyMap<string, string> = new Map()): ShAssignments {
  const values = new Map<string, string>()
  const known = new Map(initial)
  const comments: string[] = []
  const problems: ShProblem[] = []
  text.split('\n').forEach((raw, index) => {
    const line = raw.replace(/^[ \t]+/, '')
    if (line === '' || line === '\r') return
    if (line.startsWith('#')) {
      comments.push(line.slice(1))
      return
    }
    const result = readAssignment(line, known)
    if (typeof result === 'string') problems.push({line: index + 1, message: result})
    else if (result !== undefined) {
      values.set(result.name, result.value)
      known.set(result.name, result.value)
    }
  })
  return {values, comments, problems}
}

/** One line: an assignment, undefined for a bare `export NAME`, or why it cannot be read without running it. */
function readAssignment(
  line: string,
  known: ReadonlyMap<string, string>,
): {name: string; value: string} | string | undefined {
  let rest = line
  const exported = /^export[ \t]+/.exec(rest)
  if (exported) rest = rest.slice(exported[0].length)
  const name = NAME.exec(rest)?.[0]
  if (name === undefined) return `cannot read ${quote(line)} without running it`
  rest = rest.slice(name.length)
  if (exported && /^[ \t]*(#.*)?$/.test(rest)) return undefined
  if (!rest.startsWith('=')) return `cannot read ${quote(line)} without running it`
  const value = readWord(rest.slice(1), known)
  if (typeof value === 'string') return value
  if (!/^[ \t]*(#.*)?\r?$/.test(value.rest)) {
    return `${name}: only one value may follow "=", found ${quote(value.rest.trim())}`
  }
  return {name, value: value.text}
}

/** A word up to the first unquoted blank; the text it stands for and what follows it, or a problem. */
function readWord(input: string, known: ReadonlyMap<string, string>): {text: string; rest: string} | string {
  let text = ''
  let i = 0
  while (i < input.length) {
    const c = input[i] as string
    if (c === ' ' || c === '\t' || c === '\r') break
    if (c === "'") {
      const end = input.indexOf("'", i + 1)
      if (end === -1) return 'a single quote is not closed on its line'
      text += input.slice(i + 1, end)
      i = end + 1
    } else if (c === '"') {
      const quoted = readDoubleQuoted(input, i + 1, known)
      if (typeof quoted === 'string') return quoted
      text += quoted.text
      i = quoted.end
    } else if (c === '$') {
      const expanded = expand(input, i, known)
      if (typeof expanded === 'string') return expanded
      text += expanded.text
      i = expanded.end
    } else if (c === '\\') {
      if (i + 1 >= input.length) return 'a line ending in "\\" continues onto the next, which tsez does not read'
      text += input[i + 1]
      i += 2
    } else if (OPERATORS.has(c)) {
      return `${quote(c)} outside quotes makes this a command, not an assignment`
    } else {
      text += c
      i += 1
    }
  }
  return {text, rest: input.slice(i)}
}

function readDoubleQuoted(
  input: string,
  start: number,
  known: ReadonlyMap<string, string>,
): {text: string; end: number} | string {
  let text = ''
  let i = start
  while (i < input.length) {
    const c = input[i] as string
    if (c === '"') return {text, end: i + 1}
    if (c === '`') return 'a command substitution (`…`) would run a program'
    if (c === '\\' && i + 1 < input.length && '$`"\\'.includes(input[i + 1] as string)) {
      text += input[i + 1]
      i += 2
    } else if (c === '$') {
      const expanded = expand(input, i, known)
      if (typeof expanded === 'string') return expanded
      text += expanded.text
      i = expanded.end
    } else {
      text += c
      i += 1
    }
  }
  return 'a double quote is not closed on its line'
}

/** `$NAME` or `${NAME}` at INPUT[AT]: a variable set earlier; anything else is refused. */
function expand(input: string, at: number, known: ReadonlyMap<string, string>): {text: string; end: number} | string {
  const after = input.slice(at + 1)
  if (after.startsWith('(')) return 'a command substitution ($(…)) would run a program'
  const braced = /^\{([A-Za-z_][A-Za-z0-9_]*)\}/.exec(after)
  const plain = NAME.exec(after)
  const name = braced?.[1] ?? plain?.[0]
  if (name === undefined) {
    if (after.startsWith('{'))
      return `${quote(input.slice(at, at + 12))}…: only $NAME and \${NAME} are read, not other expansions`
    return `"$" followed by ${quote(after.slice(0, 1))} is not a variable tsez can read`
  }
  const value = known.get(name)
  if (value === undefined) return `$${name} is not set earlier in the file`
  return {text: value, end: at + 1 + (braced ? braced[0].length : name.length)}
}
