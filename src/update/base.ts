// Runs the base step on the basejail: freebsd-update (with its install loop) or make installworld, phase by phase.
import {installUntilDone, noUpdatesNeeded, stringEnv} from '../base/freebsd-update.js'
import {OperationError} from '../errors.js'
import type {Deps} from '../system/deps.js'
import {outputTail, type RunResult} from '../system/runner.js'
import {touchesBase, type BaseCommand} from './plan.js'
import {count} from '../ui/count.js'

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
  /** freebsd-update fetch found nothing to install: nothing after it ran, and the basejail is unchanged. */
  upToDate: boolean
}

/**
 * Runs the commands in order; `beforeTouch` runs once, just before the first one that writes into the basejail
 * (the snapshot, the note of a begun install), so a run that finds nothing to install leaves no trace.
 */
export async function runBaseCommands(
  commands: BaseCommand[],
  deps: Deps,
  beforeTouch: () => Promise<void>,
): Promise<BaseOutcome> {
  let installRounds = 0
  let touching = false
  for (const command of commands) {
    if (touchesBase(command) && !touching) {
      touching = true
      await beforeTouch()
    }
    const step = deps.progress.step(`basejail: ${command.program} ${command.phase}`)
    try {
      if (command.program === 'make') await runMake(command, deps)
      else if (command.repeat) installRounds = await installLoop(command, deps, (text) => step.update(text))
      else if (!(await runOnce(command, deps))) {
        step.succeed(`basejail: ${command.program} ${command.phase}: no updates needed`)
        return {installRounds: 0, upToDate: true}
      }
      step.succeed(
        `basejail: ${command.program} ${command.phase} done${command.repeat ? ` (${count(installRounds, 'round')})` : ''}`,
      )
    } catch (error) {
      step.fail(`basejail: ${command.program} ${command.phase} failed`)
      throw error
    }
  }
  return {installRounds, upToDate: false}
}

async function invoke(command: BaseCommand, deps: Deps) {
  // stdin is closed (input ''), so a prompt can never block: freebsd-update reads EOF and stops.
  return deps.run.tryRun(command.program, command.argv, {env: {...stringEnv(deps.env), ...command.env}})
}

/** Runs a single freebsd-update command; false when it was a fetch that found nothing to install. */
async function runOnce(command: BaseCommand, deps: Deps): Promise<boolean> {
  const result = await invoke(command, deps)
  if (result.exitCode !== 0) throw failure(command, result, 0, touchesBase(command))
  if (command.upToDate?.test(result.stdout)) return false
  return !(command.phase === 'fetch' && noUpdatesNeeded(result.stdout))
}

/** The install loop (base/freebsd-update.ts), each round shown; every failure may have touched the basejail. */
async function installLoop(command: BaseCommand, deps: Deps, update: (text: string) => void): Promise<number> {
  return installUntilDone(
    (round) => {
      update(`round ${round}`)
      return invoke(command, deps)
    },
    (round, reason) =>
      typeof reason === 'string'
        ? new BaseStepError(reason, 'install', round, true)
        : failure(command, reason, round, true),
  )
}

/** make's output can be huge (buildworld): streamed, its last lines kept for the report, shown on stderr. */
export async function runMake(command: BaseCommand, deps: Deps): Promise<void> {
  const child = deps.run.stream(command.program, command.argv, {env: {...stringEnv(deps.env), ...command.env}})
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
    const result = {exitCode: stderr?.exitCode ?? 1, stdout: tail, stderr: stderr?.stderr ?? ''}
    throw failure(command, result, 0, touchesBase(command))
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
