// The one seam through which tsez runs external programs: by name through PATH, always with an argv array.
import {spawn} from 'node:child_process'
import type {Readable} from 'node:stream'

import {OperationError, describeError} from '../errors.js'
import type {PooledRunner} from './shell-pool.js'

export interface RunOptions {
  cwd?: string
  env?: Record<string, string>
  /** Pass the terminal through (console): stdio inherit, output not captured. */
  inherit?: boolean
  /**
   * stream() only: the program's stdin. A Readable is piped in by this process; a file descriptor (an open regular
   * file) is the program's own to read, its bytes never passing through tsez. The descriptor stays the caller's.
   */
  stdin?: Readable | number
  /** Called with the program's pid as soon as it is started (system/lock.ts notes it in the host lock). */
  onSpawn?: (pid: number) => void
}

export interface RunResult {
  exitCode: number
  stderr: string
  stdout: string
}

export interface StreamingRun {
  stdout: Readable
  /** Settles when the program exits; rejects with ExternalCommandError on a non-zero exit. */
  done: Promise<RunResult>
  kill(): void
}

export interface CommandRunner {
  /** Runs a program and returns its result whatever the exit status. */
  tryRun(file: string, args: readonly string[], options?: RunOptions): Promise<RunResult>
  /** Runs a program; a non-zero exit throws ExternalCommandError. */
  run(file: string, args: readonly string[], options?: RunOptions): Promise<RunResult>
  /** Starts a program whose stdout is consumed as a stream (xz -dc). */
  stream(file: string, args: readonly string[], options?: RunOptions): StreamingRun
  /**
   * A runner for a batch of short programs, SIZE at once, through long-lived shells (system/shell-pool.ts); close it
   * when the batch is done. Runners without one (test fakes) are used as they are.
   */
  pool?(size: number): Promise<PooledRunner>
}

/** run() over TRYRUN: the same result, or ExternalCommandError when the program exited non-zero. */
export function throwingRun(tryRun: CommandRunner['tryRun']): CommandRunner['run'] {
  return async (file, args, options) => {
    const result = await tryRun(file, args, options)
    if (result.exitCode !== 0) throw new ExternalCommandError(file, args, result)
    return result
  }
}

/**
 * The last LINES lines a program printed, joined with ' | ' for a one-line message: from stderr, or from stdout
 * when stderr is blank; each line trimmed, blank lines left out. '' when it printed nothing.
 */
export function outputTail(result: Pick<RunResult, 'stdout' | 'stderr'>, lines: number): string {
  const text = result.stderr.trim() ? result.stderr : result.stdout
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .slice(-lines)
    .join(' | ')
}

/** An external program exited non-zero (run(), stream()). Exit 1. */
export class ExternalCommandError extends OperationError {
  constructor(
    readonly command: string,
    readonly args: readonly string[],
    readonly result: RunResult,
  ) {
    const detail = outputTail(result, 1) || `exit status ${result.exitCode}`
    // A missing program (not FreeBSD): its one line, without the argv that never ran.
    const missing = result.exitCode === 127 && detail === notFound(command)
    super(missing ? detail : `${command} ${args.join(' ')} failed (exit ${result.exitCode}): ${detail}`)
  }
}

export type Echo = (line: string) => void

/** The real runner over execa (imported lazily: it costs ~70 ms of start-up that help/version never need). */
export function createRunner(echo?: Echo): CommandRunner {
  const show = (file: string, args: readonly string[], options?: RunOptions) => {
    if (!echo) return
    const env = Object.entries(options?.env ?? {})
      .filter(([key]) => key === 'PAGER' || key === 'UNAME_r')
      .map(([key, value]) => `${key}=${value} `)
      .join('')
    echo(`+ ${env}${[file, ...args].map(quoteForEcho).join(' ')}`)
  }

  const tryRun: CommandRunner['tryRun'] = async (file, args, options = {}) => {
    show(file, args, options)
    const {execa} = await import('execa')
    // stdin is /dev/null unless the terminal is passed through: a program (or a jail's exec.start) never waits on
    // input. No cleanup handler: tsez waits for every program it starts. Both save ~2 ms a call (bench/start).
    const child = execa(file, args, {
      cwd: options.cwd,
      env: options.env,
      reject: false,
      stdio: options.inherit ? 'inherit' : ['ignore', 'pipe', 'pipe'],
      stripFinalNewline: false,
      cleanup: false,
    })
    if (child.pid !== undefined) options.onSpawn?.(child.pid)
    const result = await child
    if (result.failed && result.exitCode === undefined) {
      const missing = (result as {code?: string}).code === 'ENOENT'
      return {
        exitCode: 127,
        stderr: missing ? notFound(file) : (result.shortMessage ?? `cannot run ${file}`),
        stdout: '',
      }
    }
    return {exitCode: result.exitCode ?? 1, stderr: String(result.stderr ?? ''), stdout: String(result.stdout ?? '')}
  }

  const runner: CommandRunner = {
    tryRun,
    run: throwingRun(tryRun),
    stream(file, args, options = {}) {
      show(file, args, options)
      return spawnStreaming(file, args, options)
    },
    async pool(size) {
      const {openShellPool} = await import('./shell-pool.js')
      return openShellPool(size, runner, {show: (file, args) => show(file, args), notFound})
    },
  }
  return runner
}

/** A FreeBSD program that is not there: on Linux that is every jail(8) tool, so say where tsez runs. */
function notFound(file: string): string {
  return `${file}: no such program on PATH; tsez runs on FreeBSD; to try it elsewhere run \`npm run sandbox\``
}

/** node:child_process directly: execa buffers stdout even when it is piped (toolchain.md §3.4). */
function spawnStreaming(file: string, args: readonly string[], options: RunOptions): StreamingRun {
  const child = spawn(file, args, {
    cwd: options.cwd,
    env: options.env,
    stdio: [typeof options.stdin === 'number' ? options.stdin : options.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
  })
  if (child.pid !== undefined) options.onSpawn?.(child.pid)
  const input = options.stdin
  // What this process fed the program failed (a file it read): that is the failure, not the program's kill after it
  let inputError: Error | undefined
  if (typeof input === 'object' && child.stdin) {
    const stdin = child.stdin
    stdin.on('error', () => undefined) // EPIPE when the program exits early; its exit status tells what happened
    input.on('error', (error: unknown) => {
      inputError ??= error instanceof Error ? error : new Error(describeError(error))
      child.kill('SIGTERM')
    })
    input.pipe(stdin)
  }
  let stderr = ''
  const stdout = child.stdout!
  child.stderr!.setEncoding('utf8')
  child.stderr!.on('data', (chunk: string) => {
    if (stderr.length < 64 * 1024) stderr += chunk
  })
  const done = new Promise<RunResult>((resolve, reject) => {
    child.once('error', (error) =>
      reject(new ExternalCommandError(file, args, {exitCode: 127, stderr: error.message, stdout: ''})),
    )
    child.once('close', (code, signal) => {
      const result = {exitCode: code ?? 128, stderr: signal ? `killed by ${signal}` : stderr, stdout: ''}
      if (inputError !== undefined) reject(inputError)
      else if (code === 0) resolve(result)
      else reject(new ExternalCommandError(file, args, result))
    })
  })
  return {stdout, done, kill: () => child.kill('SIGTERM')}
}

function quoteForEcho(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`
}
