// Runs many short programs through a few long-lived /bin/sh workers: Node's spawn blocks its thread ~10 ms a child.
import {spawn, type ChildProcess} from 'node:child_process'
import {readFileSync} from 'node:fs'
import {lstat, mkdtemp, readdir, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {createInterface} from 'node:readline'

import {isRunning} from './pids.js'
import {throwingRun, type CommandRunner, type RunOptions, type RunResult} from './runner.js'

/** A runner whose plain calls go to the workers; close() ends them and removes their output files. */
export interface PooledRunner extends CommandRunner {
  /** The private directory the workers write each job's output into (removed by close). */
  readonly directory: string
  /**
   * The pids of its shells, as they start (this array grows): what a job's onSpawn gets (a call given to FALLBACK
   * gets its program's own).
   */
  readonly shells: readonly number[]
  close(): Promise<void>
}

interface Job {
  file: string
  args: readonly string[]
  onSpawn?: (pid: number) => void
  resolve: (result: RunResult) => void
}

/**
 * Up to SIZE workers for FALLBACK's plain calls (no cwd, env, terminal or stdin: those go to FALLBACK itself). onSpawn gets
 * the pid of the shell that runs the job: it lives as long as the program does (the host lock notes it).
 * Each job is one line of sh: the argv, every word single-quoted (never re-split or expanded), stdin /dev/null,
 * stdout and stderr into the worker's two files in a private directory, then `tsez-done ID STATUS OUT ERR` on the
 * worker's own stdout (OUT, ERR: 1 when that file is not empty).
 * A worker that dies fails its job (exit 127, said so) and the rest go to the others, or to FALLBACK.
 */
export async function openShellPool(
  size: number,
  fallback: CommandRunner,
  describe: {show: (file: string, args: readonly string[]) => void; notFound: (file: string) => string},
): Promise<PooledRunner> {
  await sweepKilledPools()
  const dir = await mkdtemp(path.join(tmpdir(), `${DIR_PREFIX}${process.pid}-`))
  const limit = Math.max(1, size)
  const workers: Worker[] = []
  const shells: number[] = []
  const idle: Worker[] = []
  const waiting: Job[] = []
  let next = 0
  let closed = false
  let spawning = false

  /*
   * Shells are started one per turn of the event loop, as jobs wait for them: spawn blocks this thread ~7-10 ms, so
   * starting SIZE at once held back every job until the last shell was up; now the first job starts with the first.
   */
  const spawnWorker = () => {
    const worker = new Worker(path.join(dir, String(workers.length)), () => `${next++}`, describe.notFound)
    worker.onIdle = () => {
      if (worker.alive) idle.push(worker)
      dispatch()
    }
    workers.push(worker)
    if (worker.pid !== undefined) shells.push(worker.pid)
    idle.push(worker)
  }
  const dispatch = () => {
    while (idle.length > 0 && waiting.length > 0) idle.pop()!.start(waiting.shift()!)
    if (waiting.length === 0 || workers.length >= limit || closed || spawning) return
    spawning = true
    setImmediate(() => {
      spawning = false
      if (waiting.length === 0 || workers.length >= limit || closed) return
      spawnWorker()
      dispatch()
    })
  }
  spawnWorker()

  const tryRun: CommandRunner['tryRun'] = (file, args, options) => {
    if (closed || plainCall(options) === false || !workers.some((w) => w.alive))
      return fallback.tryRun(file, args, options)
    describe.show(file, args)
    return new Promise<RunResult>((resolve) => {
      waiting.push({file, args, onSpawn: options?.onSpawn, resolve})
      dispatch()
    })
  }
  return {
    directory: dir,
    shells,
    tryRun,
    run: throwingRun(tryRun),
    stream: (file, args, options) => fallback.stream(file, args, options),
    async close() {
      closed = true
      await Promise.all(workers.map((w) => w.end()))
      await rm(dir, {recursive: true, force: true})
    },
  }
}

/** `$TMPDIR/tsez-pool-PID-XXXXXX`: the pid of the tsez that made it, for the sweep of a killed one's. */
const DIR_PREFIX = 'tsez-pool-'

/**
 * Removes the output directories of pools whose tsez was SIGKILLed (close() never ran): named for a pid that no
 * longer runs, and a directory of ours (mkdtemp made it 0700, so nobody else could have put anything inside).
 * Anything else of that name in a shared temp directory is left alone.
 */
async function sweepKilledPools(): Promise<void> {
  const names = await readdir(tmpdir()).catch(() => [])
  for (const name of names) {
    const pid = Number(new RegExp(`^${DIR_PREFIX}(\\d+)-`).exec(name)?.[1] ?? NaN)
    if (!Number.isSafeInteger(pid) || pid <= 0 || isRunning(pid)) continue
    const dir = path.join(tmpdir(), name)
    const info = await lstat(dir).catch(() => undefined)
    if (info?.isDirectory() !== true || info.uid !== process.getuid?.()) continue
    await rm(dir, {recursive: true, force: true}).catch(() => undefined)
  }
}

function plainCall(options: RunOptions | undefined): boolean {
  if (options === undefined) return true
  return !options.cwd && !options.env && !options.inherit && !options.stdin
}

/** One /bin/sh reading jobs on its stdin. */
class Worker {
  alive = true
  onIdle: () => void = () => undefined
  private readonly child: ChildProcess
  private current: {id: string; job: Job} | undefined
  private readonly exited: Promise<void>

  /** BASE.out and BASE.err: where each of its jobs writes, overwritten by the next. */
  constructor(
    private readonly base: string,
    private readonly nextId: () => string,
    private readonly notFound: (file: string) => string,
  ) {
    this.child = spawn('/bin/sh', [], {stdio: ['pipe', 'pipe', 'ignore']})
    this.child.stdin!.on('error', () => undefined) // EPIPE once it died: the exit handler fails its job
    this.exited = new Promise((resolve) => this.child.once('close', () => resolve()))
    this.child.once('close', () => {
      this.alive = false
      const job = this.current
      this.current = undefined
      job?.job.resolve({exitCode: 127, stdout: '', stderr: `${job.job.file}: the shell that ran it died`})
      this.onIdle()
    })
    createInterface({input: this.child.stdout!}).on('line', (line) => this.finished(line))
  }

  start(job: Job): void {
    const id = this.nextId()
    this.current = {id, job}
    if (this.pid !== undefined) job.onSpawn?.(this.pid)
    const out = shellWord(`${this.base}.out`)
    const err = shellWord(`${this.base}.err`)
    const command = [job.file, ...job.args].map(shellWord).join(' ')
    // The shell says which output file has anything in it ([ -s ] is a builtin): most jobs print nothing to read.
    const sizes = `o=0; e=0; [ -s ${out} ] && o=1; [ -s ${err} ] && e=1`
    this.child.stdin!.write(
      `{ ${command}\n} </dev/null >${out} 2>${err}; s=$?; ${sizes}; echo "tsez-done ${id} $s $o $e"\n`,
    )
  }

  get pid(): number | undefined {
    return this.child.pid
  }

  end(): Promise<void> {
    this.child.stdin!.end()
    return this.exited
  }

  private finished(line: string): void {
    const match = /^tsez-done (\d+) (\d+) ([01]) ([01])$/.exec(line)
    const current = this.current
    if (!match || !current || match[1] !== current.id) return
    // Small local files, read at once: an async read is four round trips through libuv's thread pool per file.
    const read = (written: string | undefined, file: string) => (written === '1' ? readOutput(file) : '')
    const stdout = read(match[3], `${this.base}.out`)
    const stderr = read(match[4], `${this.base}.err`)
    const exitCode = Number(match[2])
    // sh's own "not found" (127) reads as the runner's: the program is not on PATH.
    const missing = exitCode === 127 && /not found|No such file/.test(stderr) && stdout === ''
    this.current = undefined
    current.job.resolve({exitCode, stdout, stderr: missing ? this.notFound(current.job.file) : stderr})
    this.onIdle()
  }
}

function readOutput(file: string): string {
  try {
    return readFileSync(file, 'utf8')
  } catch {
    return ''
  }
}

/** One sh word that is exactly TEXT: single quotes, with each ' written as '\''. */
function shellWord(text: string): string {
  return `'${text.replaceAll("'", "'\\''")}'`
}
