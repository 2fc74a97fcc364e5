// The body tsez start, stop and restart share: parse names and flags, run the jails, render each jail's result.
import * as Flags from '@oclif/core/flags'

import {dryRunFlag, TsezCommand} from './base-command.js'
import {EXIT} from '../errors.js'
import {runJails, type RunCommand, type RunResult} from '../run/service.js'
import {renderRunResult} from '../run/view.js'

/** The flags start, stop and restart share. */
export const runFlags = {
  parallel: Flags.integer({
    char: 'p',
    min: 1,
    default: 1,
    description: 'Act on up to N jails at once (a jail still waits for the jails it depends on).',
  }),
  all: Flags.boolean({char: 'a', description: 'Without names: every jail, including those marked norun.'}),
  'dry-run': dryRunFlag,
}

export abstract class JailRunCommand extends TsezCommand {
  static override strict = false
  static override usage = '<%= command.id %> [NAME...] [-p N] [-a]'
  static override flags = runFlags

  /** What the subclass does to each jail. */
  protected abstract readonly action: RunCommand

  async run(): Promise<RunResult> {
    const {argv, flags} = await this.parse(JailRunCommand)
    const {config, deps} = await this.setup(flags)
    const request = {
      names: argv.map(String),
      all: flags.all,
      parallel: flags.parallel,
      dryRun: flags['dry-run'],
      lockWaitMs: this.lockWaitMs(),
    }
    const result = await runJails(config, this.action, request, deps)
    const rendered = renderRunResult(result)
    for (const line of rendered.stdout) this.log(line)
    if (!this.jsonEnabled()) for (const line of rendered.stderr) process.stderr.write(`${line}\n`)
    if (!result.ok) process.exitCode = EXIT.failed
    return result
  }
}
