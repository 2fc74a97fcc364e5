// tsez console: a login shell (or one command) inside a running jail, the terminal passed through.
import type {TsezConfig} from '../config.js'
import {OperationError, quote, UsageError} from '../errors.js'
import {readRunningJails} from '../jail/running.js'
import {jailNameFor} from '../jail/names.js'
import {readJailRecord} from '../jail/store.js'
import type {Deps} from '../system/deps.js'
import {runJails} from './service.js'

export interface ConsoleRequest {
  name: string
  /** Run this through /bin/sh -c instead of a login shell. */
  command?: string
  /** Start the jail (and its dependencies) first when it is stopped. */
  force: boolean
  /** Capture the command's output instead of passing the terminal through (--json). */
  capture: boolean
  lockWaitMs: number
}

export interface ConsoleResult {
  name: string
  argv: string[]
  /** The jail was started first (-f). */
  started: boolean
  exitCode: number
  /** Only when captured. */
  stdout: string | null
  stderr: string | null
}

/** jexec's argv: a root login, or COMMAND through the jail's /bin/sh. */
export function consoleArgv(name: string, command: string | undefined): string[] {
  return command === undefined ? ['-l', name, 'login', '-f', 'root'] : ['-l', name, '/bin/sh', '-c', command]
}

export async function openConsole(config: TsezConfig, request: ConsoleRequest, deps: Deps): Promise<ConsoleResult> {
  if (request.capture && request.command === undefined) {
    throw new UsageError('an interactive console cannot run under --json: give the command with -e')
  }
  const name = jailNameFor(request.name)
  if ((await readJailRecord(config, name)) === undefined) {
    throw new UsageError(`no jail named ${quote(request.name)}: \`tsez list\` shows the jails tsez knows`)
  }
  let started = false
  if (!(await readRunningJails(deps.run)).has(name)) {
    if (!request.force) {
      throw new UsageError(
        `jail ${name} is not running: start it with \`tsez start ${name}\` or use \`tsez console -f ${name}\``,
      )
    }
    const result = await runJails(
      config,
      'start',
      {names: [name], all: false, parallel: 1, dryRun: false, lockWaitMs: request.lockWaitMs},
      deps,
    )
    const failure = result.jails.find((jail) => !jail.ok)
    if (failure !== undefined) throw new OperationError(`cannot start ${failure.name}: ${failure.message}`)
    started = true
  }
  const argv = consoleArgv(name, request.command)
  const result = await deps.run.tryRun('jexec', argv, {inherit: !request.capture})
  return {
    name,
    argv: ['jexec', ...argv],
    started,
    exitCode: result.exitCode,
    stdout: request.capture ? result.stdout : null,
    stderr: request.capture ? result.stderr : null,
  }
}
