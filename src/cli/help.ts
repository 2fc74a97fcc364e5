// oclif's help class, with tsez's one line for `tsez help NAME` when NAME is no command or topic.
import {Help} from '@oclif/core/help'

import {UsageError} from '../errors.js'
import {unknownCommand} from './command-not-found.js'
import {reportError} from './report-error.js'

export default class TsezHelp extends Help {
  /** `tsez help frob`: exit 2 with the same line as `tsez frob` (oclif's own help printed ` ›   Error: …`). */
  override async showHelp(argv: string[]): Promise<void> {
    const words = argv.filter((word) => !word.startsWith('-'))
    const id = words.join(':')
    if (words.length > 0 && !this.config.findCommand(id) && !this.config.findTopic(id)) {
      const error = new UsageError(unknownCommand(words, this.config))
      reportError(error, argv.includes('--json'))
      throw Object.assign(error, {skipOclifErrorHandling: true})
    }
    await super.showHelp(argv)
  }
}
