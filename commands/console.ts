// tsez console: log in to a running jail as root, or run one command in it; the jail's exit status is tsez's.
import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'

import {TsezCommand} from '../src/cli/base-command.js'
import {openConsole, type ConsoleResult} from '../src/run/console.js'

export default class Console extends TsezCommand {
  static override summary = 'Log in to a jail as root (jexec -l NAME login -f root), or run a command in it.'
  static override description = `The terminal is passed through, and the exit status of the login shell or of the command becomes tsez's exit status. -e runs COMMAND with the jail's /bin/sh -c.

A stopped jail is refused (exit 1) unless -f starts it first, with the same checks and first-start scripts as \`tsez start\`.

Under --json, -e is required and the command's output is captured into the result instead.`
  static override examples = [
    {description: 'Log in as root', command: '<%= config.bin %> <%= command.id %> web1'},
    {description: 'Run one command', command: `<%= config.bin %> <%= command.id %> -e 'service nginx status' web1`},
    {description: 'Start the jail first if needed', command: '<%= config.bin %> <%= command.id %> -f web1'},
  ]
  static override args = {name: Args.string({required: true, description: 'The jail (name or hostname).'})}
  static override flags = {
    execute: Flags.string({char: 'e', description: 'Run COMMAND (through /bin/sh -c) instead of a login shell.'}),
    force: Flags.boolean({char: 'f', description: 'Start the jail first when it is stopped.'}),
  }

  async run(): Promise<ConsoleResult> {
    const {args, flags} = await this.parse(Console)
    const {config, deps} = await this.setup(flags)
    const result = await openConsole(
      config,
      {
        name: args.name,
        command: flags.execute,
        force: flags.force,
        capture: this.jsonEnabled(),
        lockWaitMs: this.lockWaitMs(),
      },
      deps,
    )
    if (result.started) deps.log.info(`started ${result.name}`)
    process.exitCode = result.exitCode
    return result
  }
}
