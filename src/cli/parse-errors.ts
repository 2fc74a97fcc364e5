// oclif's argument parsing, made to fail with tsez's one line: values on boolean flags, and oclif's own errors.
import {stripVTControlCharacters} from 'node:util'

import {quote, quoteUnlessPlain, UsageError} from '../errors.js'
import {closest} from './did-you-mean.js'

/** A flag as oclif declares it: the parts that decide whether it takes a value. */
export interface FlagShape {
  type: string
  char?: string
}

/** What a message about a command's usage names: `tsez create`, its arguments in order, its long flags. */
export interface CommandUsage {
  command: string
  args: Array<{name: string; required: boolean}>
  /** Long flag names without `--`, for "did you mean". */
  flags: string[]
}

/**
 * Refuses `--all=yes` and `-a=yes` when the flag is boolean: oclif would take `yes` for the next argument (or
 * a flag named `-=yes`) and blame that instead. Walks ARGV as oclif does: stops at `--`, skips the value of a
 * flag that takes one, and reads short flags bundled in one word (`-fn`) one by one.
 */
export function refuseValuedBooleans(argv: readonly string[], flags: Readonly<Record<string, FlagShape>>): void {
  const byChar = new Map(Object.entries(flags).flatMap(([, flag]) => (flag.char ? [[flag.char, flag]] : [])))
  for (let at = 0; at < argv.length; at++) {
    const word = argv[at] ?? ''
    if (word === '--') return
    if (word.startsWith('--')) {
      const equals = word.indexOf('=')
      const name = word.slice(2, equals === -1 ? undefined : equals)
      const flag = Object.hasOwn(flags, name) ? flags[name] : undefined
      if (flag?.type === 'boolean' && equals !== -1) throw takesNoValue(`--${name}`, word.slice(equals + 1))
      if (flag?.type === 'option' && equals === -1) at++
    } else if (word.startsWith('-')) {
      for (let position = 1; position < word.length; position++) {
        const char = word[position] ?? ''
        const flag = byChar.get(char)
        if (flag?.type !== 'boolean') {
          if (flag !== undefined && position === word.length - 1) at++
          break
        }
        if (word[position + 1] === '=') throw takesNoValue(`-${char}`, word.slice(position + 2))
      }
    }
  }
}

function takesNoValue(flag: string, value: string): UsageError {
  return new UsageError(`${flag} takes no value (given ${quote(value)}); leave out "=" and what follows`)
}

/** The tail oclif adds to every parse error. */
const SEE_HELP = 'See more help with --help'

/**
 * The one line for an error oclif's parser threw, or undefined when ERROR is not one. Recognised by the message
 * and fields of @oclif/core 4's parser errors (lib/parser/errors.js, the "Parsing --FLAG" wrapper of
 * lib/parser/parse.js), which it does not export; test/cli/parse-errors.test.ts pins them against the real parser.
 */
export function describeParseError(error: Error, usage: CommandUsage): string | undefined {
  const flagValue = /^Parsing (--\S+) \n\t([\s\S]*)\nSee more help with --help$/.exec(error.message)
  if (flagValue) return `${flagValue[1]}: ${describeFlagValueProblem(flagValue[2] ?? '')}`
  const {parse, args, flags} = error as {parse?: unknown; args?: unknown; flags?: unknown}
  if (parse === undefined) return undefined
  const [first = '', ...rest] = error.message.split('\n')
  if (first.startsWith('Missing ') && Array.isArray(args)) {
    const names = args.map((arg: {name: string}) => arg.name.toUpperCase())
    const synopsis = usage.args.map(({name, required}) => (required ? name.toUpperCase() : `[${name.toUpperCase()}]`))
    const what = names.length === 1 ? 'argument' : 'arguments'
    return `missing ${what} ${names.join(', ')} (usage: ${[usage.command, '[FLAGS]', ...synopsis].join(' ')})`
  }
  if (first.startsWith('Unexpected argument') && Array.isArray(args)) return unexpectedArguments(args.map(String))
  if (first.startsWith('Nonexistent flag') && Array.isArray(flags)) {
    const named = flags.map(String).map((flag) => {
      const guess = flag.startsWith('--') ? closest(flag.slice(2).split('=')[0] ?? '', usage.flags) : undefined
      return `${quoteUnlessPlain(flag)}${guess === undefined ? '' : ` (did you mean --${guess}?)`}`
    })
    return `Nonexistent flag${flags.length === 1 ? '' : 's'}: ${named.join(', ')} (${usage.command} --help lists them)`
  }
  if (/^The following errors? occurred:$/.test(first)) {
    const reasons = rest.map((line) => stripVTControlCharacters(line).trim())
    return exclusiveConflict(parse) ?? reasons.filter((line) => line !== '' && line !== SEE_HELP).join('; ')
  }
  return undefined
}

/** The same words whether the parser found the extra arguments or oclif took them for a subcommand. */
export function unexpectedArguments(args: readonly string[]): string {
  return `Unexpected argument${args.length === 1 ? '' : 's'}: ${args.map(quoteUnlessPlain).join(', ')}`
}

/**
 * Two flags given that exclude each other, found again in the parse (oclif's own reason quotes the first flag's
 * value raw, `--rename=VALUE cannot also be provided...`, and lists the pair twice, once from each side).
 */
function exclusiveConflict(parse: unknown): string | undefined {
  const {input, output} = parse as {
    input?: {flags?: Record<string, {exclusive?: string[]}>}
    output?: {flags?: Record<string, unknown>; metadata?: {flags?: Record<string, {setFromDefault?: boolean}>}}
  }
  const given = (name: string) =>
    output?.flags?.[name] !== undefined && output.metadata?.flags?.[name]?.setFromDefault !== true
  for (const [name, flag] of Object.entries(input?.flags ?? {})) {
    const other = flag.exclusive?.find((excluded) => given(name) && given(excluded))
    if (other !== undefined) return `--${other} cannot also be provided when using --${name}`
  }
  return undefined
}

/** oclif's integer flag messages (lib/flags.js) with the value quoted; any other flag's message as it is. */
function describeFlagValueProblem(problem: string): string {
  const integer = /^Expected an integer(?: (greater|less) than or equal to (-?\d+))? but received: ([\s\S]*)$/.exec(
    problem,
  )
  if (!integer) return problem.split('\n')[0] ?? problem
  const [, direction, bound, value = ''] = integer
  const range = direction === undefined ? '' : ` ${direction === 'greater' ? '>=' : '<='} ${bound}`
  return `expected an integer${range}, got ${quote(value)}`
}
