// Runs the base step on the basejail: freebsd-update (with its install loop) or make installworld, phase by phase.
import {installUntilDone, stringEnv} from '../base/freebsd-update.js'
import {OperationError} from '../errors.js'
import type {Deps} from '../system/deps.js'
import {outputTail, type RunResult} from '../system/runner.js'
import type {BaseCommand} from './plan.js'

/** A base step failed; `touched` says whether files of the basejail may already have changed. */
export class BaseStepError extends OperationError {
  constructor(
    message: string,
    readonly phase: BaseCommand['phase'],
    readonly round: number,
    readonly touched: boolean,
  ) {
    super(message)
  }
}

export interface BaseOutcome {
  installRounds: number
}

export async function runBaseCommands(commands: BaseCommand[], deps: Deps): Promise<BaseOutcome> {
  let installRounds = 0
  for (const command of commands) {
    const step = deps.progress.step(`basejail: ${command.program} ${command.phase}`)
    try {
      if (command.program === 'make') await runMake(command, deps)
      else if (command.repeat) installRounds = await installLoop(command, deps, (text) => step.update(text))
      else await runOnce(command, deps)
      step.succeed(
        `basejail: ${command.program} ${command.phase} done${command.repeat ? ` (${installRounds} round(s))` : ''}`,
      )
    } catch (error) {
      step.fail(`basejail: ${command.program} ${command.phase} failed`)
      throw error
    }
  }
  return {installRounds}
}

async function invoke(command: BaseCommand, deps: Deps) {
  // stdin is closed (input ''), so a prompt can never block: freebsd-update reads EOF and stops.
  return deps.run.tryRun(command.program, command.argv, {env: {...stringEnv(deps.env), ...command.env}})
}

async function runOnce(command: BaseCommand, deps: Deps): Promise<void> {
  const result = await invoke(command, deps)
  // fetch and upgrade only download and prepare; rollback and install write into the basejail.
  const touched = command.phase === 'rollback'
  if (result.exitCode !== 0) throw failure(command, result, 0, touched)
}

/** The install loop (base/freebsd-update.ts), each round shown; every failure may have touched the basejail. */
async function installLoop(command: BaseCommand, deps: Deps, update: (text: string) => void): Promise<number> {
  return installUntilDone(
    (round) => {
      update(`install round ${round}`)
      return invoke(command, deps)
    },
    (round, reason) =>
      typeof reason === 'string'
        ? new BaseStepError(reason, 'install', round, true)
        : failure(command, reason, round, true),
  )
}

/** make's output can be huge (buildworld): streamed, its last lines kept for the report, shown on stderr. */
async function runMake(command: BaseCommand, deps: Deps): Promise<void> {
  const child = deps.run.stream(command.program, command.argv, {env: stringEnv(deps.env)})
  let tail = ''
  child.stdout.setEncoding('utf8')
  child.stdout.on('data', (chunk: string) => {
    tail = (tail + chunk).slice(-4096)
    deps.log.info(chunk.replace(/\n$/, ''))
  })
  try {
    await child.done
  } catch (error) {
    const stderr = (error as {result?: {stderr?: string; exitCode?: number}}).result
    const touched = command.phase === 'installworld'
    throw failure(command, {exitCode: stderr?.exitCode ?? 1, stdout: tail, stderr: stderr?.stderr ?? ''}, 0, touched)
  }
}

function failure(command: BaseCommand, result: RunResult, round: number, touched: boolean): BaseStepError {
  const output = outputTail(result, 3)
  const which = round > 0 ? `${command.phase} (round ${round})` : command.phase
  return new BaseStepError(
    `${command.program} ${which} failed (exit ${result.exitCode}): ${output || 'no output'}`,
    command.phase,
    round,
    touched,
  )
}
