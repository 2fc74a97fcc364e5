// The base of every tsez command: global flags, config and deps wiring, and one-line errors mapped to exit codes.
import {Command} from '@oclif/core/command'
import * as Flags from '@oclif/core/flags'
import type * as Interfaces from '@oclif/core/interfaces'

import {loadConfig, type TsezConfig} from '../config.js'
import {TsezError, UsageError} from '../errors.js'
import {systemClock} from '../system/clock.js'
import {realCopyFs} from '../system/copy-tree.js'
import type {Deps} from '../system/deps.js'
import type {JailRecord} from '../jail/store.js'
import type {ListedJail} from '../list/service.js'
import {createRunner} from '../system/runner.js'
import {createProgress} from '../ui/progress.js'
import {versioned} from './json-output.js'
import {describeParseError, refuseValuedBooleans} from './parse-errors.js'
import {reportError} from './report-error.js'

export type BaseFlags<T extends typeof Command> = Interfaces.InferredFlags<
  (typeof TsezCommand)['baseFlags'] & T['flags']
>

/** -n/--dry-run, declared by every command that changes anything. */
export const dryRunFlag = Flags.boolean({
  char: 'n',
  description: 'Print the plan (directories, files, programs with their argv) and change nothing.',
})

/** A command's result with its jail records shown as jail objects under --json. */
export type WithJailObjects<T, K extends keyof T> = Omit<T, K> & {
  [key in K]: T[K] extends unknown[] ? ListedJail[] : ListedJail
}

/** What oclif's parser returns for flags and for arguments: values by name. */
type ParsedValues = Record<string, unknown>

export abstract class TsezCommand extends Command {
  static override baseFlags = {
    config: Flags.string({
      description: 'Config file (default $TSEZ_CONFIG, else /usr/local/etc/tsez.conf).',
      helpGroup: 'GLOBAL',
    }),
    verbose: Flags.boolean({char: 'v', description: 'Echo every program tsez runs, on stderr.', helpGroup: 'GLOBAL'}),
  }
  static override enableJsonFlag = true

  private verbose = false

  /** Loads the configuration and builds the real dependencies for this run. */
  protected async setup(flags: {config?: string; verbose: boolean}): Promise<{config: TsezConfig; deps: Deps}> {
    this.verbose = flags.verbose
    const json = this.jsonEnabled()
    const warn = (message: string) => process.stderr.write(`tsez: warning: ${message}\n`)
    const config = await loadConfig({flag: flags.config, env: process.env, warn})
    const deps: Deps = {
      run: createRunner(flags.verbose ? (line) => process.stderr.write(`${line}\n`) : undefined),
      log: {info: (message) => json || process.stderr.write(`${message}\n`), warn},
      progress: createProgress({stream: process.stderr, silent: json}),
      clock: systemClock,
      env: process.env,
      fs: realCopyFs,
      packageRoot: this.config.root,
    }
    return {config, deps}
  }

  /** --json output as plain JSON: oclif's colorizer tokenizes the whole text (tens of ms for 1000 jails). */
  override logJson(json: unknown): void {
    process.stdout.write(`${JSON.stringify(json, null, 2)}\n`)
  }

  /** Every command's --json result carries the output contract's version first (schema/*.json). */
  protected override toSuccessJson(result: unknown): unknown {
    return versioned(result)
  }

  /**
   * RESULT with the records under KEY shown as the jail object every --json shows (list's fields and the record's;
   * a dry run's as planned). Without --json, RESULT as it is: the objects' state needs jls, which a run whose
   * output does not show it does without.
   */
  protected async withJailObjects<T extends {dryRun: boolean}, K extends keyof T>(
    config: TsezConfig,
    deps: Deps,
    result: T,
    key: K,
  ): Promise<T | WithJailObjects<T, K>> {
    if (!this.jsonEnabled()) return result
    const {jailDescriber} = await import('../list/service.js')
    const describe = await jailDescriber(config, deps)
    const records = result[key] as JailRecord | JailRecord[]
    const shown = Array.isArray(records)
      ? records.map((record) => describe(record, result.dryRun))
      : describe(records, result.dryRun)
    return {...result, [key]: shown}
  }

  /** Waiting time for the host lock: 10 s, or TSEZ_LOCK_WAIT seconds. */
  protected lockWaitMs(): number {
    const seconds = Number(process.env.TSEZ_LOCK_WAIT ?? 10)
    return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : 10_000
  }

  /** oclif's parse, after refusing a value given to a boolean flag (`--all=yes`), which oclif misreads. */
  protected override async parse<F extends ParsedValues, B extends ParsedValues, A extends ParsedValues>(
    options?: Interfaces.Input<F, B, A>,
    argv: string[] = this.argv,
  ): Promise<Interfaces.ParserOutput<F, B, A>> {
    const input = options ?? (this.ctor as unknown as Interfaces.Input<F, B, A>)
    const json = input.enableJsonFlag ? {json: {type: 'boolean'}} : undefined
    refuseValuedBooleans(argv, {...input.baseFlags, ...input.flags, ...json})
    return super.parse(options, argv)
  }

  // eslint-disable-next-line @typescript-eslint/require-await -- oclif awaits catch(); this one decides synchronously
  override async catch(error: Interfaces.CommandError): Promise<void> {
    const usage = {
      command: `${this.config.bin} ${this.id?.replaceAll(':', ' ') ?? ''}`.trim(),
      args: Object.entries(this.ctor.args ?? {}).map(([name, arg]) => ({name, required: arg.required ?? false})),
      flags: [
        ...Object.keys({...this.ctor.baseFlags, ...this.ctor.flags}),
        ...(this.ctor.enableJsonFlag ? ['json'] : []),
      ],
    }
    const parseProblem = describeParseError(error, usage)
    const shown = parseProblem === undefined ? error : new UsageError(parseProblem)
    const json = this.jsonEnabled()
    const exit = reportError(shown, json)
    process.exitCode = exit
    if (json) return
    if (this.verbose && !(shown instanceof TsezError) && shown.stack) process.stderr.write(`${shown.stack}\n`)
    throw Object.assign(shown, {skipOclifErrorHandling: true, oclif: {exit}})
  }
}
