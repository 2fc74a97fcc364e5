// oclif's command_not_found hook: an extra argument to a command that takes none, or an unknown command, in one line.
import type {Hook} from '@oclif/core'

import {quoteUnlessPlain, UsageError} from '../errors.js'
import {unexpectedArguments} from './parse-errors.js'
import {reportError} from './report-error.js'

/**
 * oclif joins the words of a command line with ":" into a command id for as long as no command so far takes
 * arguments (`tsez list extra` asks for the command `list:extra`), so ID holds the command and the words after
 * it. (An argument that itself contains ":" shows in pieces: oclif's id cannot tell them apart.)
 */
// eslint-disable-next-line @typescript-eslint/require-await -- oclif awaits hooks; this one decides synchronously
const commandNotFound: Hook.CommandNotFound = async function ({id, argv = [], config}) {
  const words = id.split(':')
  const prefix = (length: number) => words.slice(0, length).join(':')
  const lengths = words.map((_, index) => words.length - index)
  const commandLength = lengths.find((length) => config.findCommand(prefix(length)) !== undefined)
  let message: string
  if (commandLength === undefined) {
    const topicLength = lengths.find((length) => config.findTopic(prefix(length)) !== undefined) ?? 0
    const named = words.slice(0, topicLength + 1).map(quoteUnlessPlain)
    const help = [config.bin, ...words.slice(0, topicLength), '--help'].join(' ')
    message = `unknown command ${named.join(' ')}: ${help} lists the commands`
  } else {
    message = unexpectedArguments(words.slice(commandLength))
  }
  const ending = argv.indexOf('--')
  const json = argv.slice(0, ending === -1 ? undefined : ending).includes('--json')
  const error = new UsageError(message)
  reportError(error, json)
  throw Object.assign(error, {skipOclifErrorHandling: true})
}

export default commandNotFound
