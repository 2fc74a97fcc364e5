// tsez __complete jails|flavours (hidden): one name a line, for the completion scripts in completion/.
import * as Args from '@oclif/core/args'

import {TsezCommand} from '../src/cli/base-command.js'
import {COMPLETION_KINDS, completionNames} from '../src/cli/complete-names.js'

export default class Complete extends TsezCommand {
  static override hidden = true
  static override summary = 'Names for shell completion: the jails or the flavours, one a line.'
  static override description = `Prints the names of the jails tsez knows (from their records in tsez_confdir) or of the flavours in tsez_flavours, sorted, one a line, for the completion scripts in completion/ to offer. Missing or unreadable directories give no names and exit 0.`
  static override args = {
    kind: Args.string({required: true, options: [...COMPLETION_KINDS], description: 'jails or flavours.'}),
  }

  async run(): Promise<{names: string[]}> {
    const {args, flags} = await this.parse(Complete)
    const {config} = await this.setup(flags)
    const names = await completionNames(config, args.kind as (typeof COMPLETION_KINDS)[number])
    if (!this.jsonEnabled()) process.stdout.write(names.map((name) => `${name}\n`).join(''))
    return {names}
  }
}
