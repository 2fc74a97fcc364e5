// oclif's command_not_found hook: an extra argument to a command that takes none, or an unknown command, in one line.
import type * as Interfaces from '@oclif/core/interfaces'

import {quoteUnlessPlain, UsageError} from '../errors.js'
import {closest} from './did-you-mean.js'
import {unexpectedArguments} from './parse-errors.js'
import {reportError} from './report-error.js'

/**
 * oclif joins the words of a command line with ":" into a command id for as long as no command so far takes
 * arguments (`tsez list extra` asks for the command `list:extra`), so ID holds the command and the words after
 * it. The words are taken back from the command line itself when it is the one ID was made of (so an argument
 * with a ":", `tsez install http://x`, stays one word), else from ID's pieces.
 */
// eslint-disable-next-line @typescript-eslint/require-await -- oclif awaits hooks; this one decides synchronously
const commandNotFound: Interfaces.Hook.CommandNotFound = async function ({id, argv = [], config}) {
  const words = wordsOf(id, process.argv.slice(2))
  const prefix = (length: number) => words.slice(0, length).join(':')
  const lengths = words.map((_, index) => words.length - index)
  const commandLength = lengths.find((length) => config.findCommand(prefix(length)) !== undefined)
  let message: string
  if (words[0]?.startsWith('-') === true) {
    message = flagBeforeCommand(words[0], argv, config)
  } else if (commandLength === undefined) {
    message = unknownCommand(words, config)
  } else {
    message = unexpectedArguments(words.slice(commandLength))
  }
  const ending = argv.indexOf('--')
  const json = argv.slice(0, ending === -1 ? undefined : ending).includes('--json')
  const error = new UsageError(message)
  reportError(error, json)
  throw Object.assign(error, {skipOclifErrorHandling: true})
}

/** WORDS name no command: which word is unknown, the closest command or topic there, and where the list is. */
export function unknownCommand(words: readonly string[], config: Interfaces.Config): string {
  const prefix = (length: number) => words.slice(0, length).join(':')
  const lengths = words.map((_, index) => words.length - index)
  const topicLength = lengths.find((length) => config.findTopic(prefix(length)) !== undefined) ?? 0
  const named = words.slice(0, topicLength + 1).map(quoteUnlessPlain)
  const help = [config.bin, ...words.slice(0, topicLength), '--help'].join(' ')
  const topic = words.slice(0, topicLength)
  const guess = closest(words[topicLength] ?? '', subcommands(config, topic))
  const hint = guess === undefined ? '' : `did you mean ${[config.bin, ...topic, guess].join(' ')}? `
  return `unknown command ${named.join(' ')}: ${hint}${help} lists the commands`
}

/** The words of COMMANDLINE that oclif joined into ID, or ID's pieces when COMMANDLINE did not make it. */
export function wordsOf(id: string, commandLine: readonly string[]): string[] {
  const words: string[] = []
  for (const word of commandLine) {
    const joined = [...words, word].join(':')
    if (!id.startsWith(joined)) break
    words.push(word)
    if (joined === id) return words
  }
  return id.split(':')
}

/** The words that can follow TOPIC (commands and topics under it, or at the top): what a user sees in --help. */
function subcommands(config: Interfaces.Config, topic: readonly string[]): string[] {
  const depth = topic.length
  const under = (id: string) => depth === 0 || id.startsWith(`${topic.join(':')}:`)
  const visible = config.commands.filter((command) => command.hidden !== true).map((command) => command.id)
  const ids = [...visible, ...config.topics.filter((t) => t.hidden !== true).map((t) => t.name)]
  return [...new Set(ids.filter(under).map((id) => id.split(':')[depth] ?? ''))].filter(Boolean)
}

/** `tsez --config F list`: oclif takes the flag for the command; flags come after it. */
function flagBeforeCommand(flag: string, argv: readonly string[], config: Interfaces.Config): string {
  const at = argv.findIndex((word) => config.findCommand(word) !== undefined)
  const command = at === -1 ? 'COMMAND' : (argv[at] ?? 'COMMAND')
  const rest = at === -1 ? argv : [...argv.slice(0, at), ...argv.slice(at + 1)]
  const example = [config.bin, command, flag, ...rest].map(quoteUnlessPlain).join(' ')
  return `${quoteUnlessPlain(flag)} before the command: flags go after it (${example})`
}

export default commandNotFound
