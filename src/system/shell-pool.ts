// Runs many short programs through a few long-lived /bin/sh workers: Node's spawn blocks its thread ~10 ms a child.
import {spawn, type ChildProcess} from 'node:child_process'
import {lstat, mkdtemp, readdir, readFile, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {createInterface} from 'node:readline'

import {throwingRun, type CommandRunner, type RunOptions, type RunResult} from './runner.js'

/** A runner whose plain calls go to the workers; close() ends them and removes their output files. */
export interface PooledRunner extends CommandRunner {
  /** The private directory the workers write each job's output into (removed by close). */
  readonly directory: string
  /** The pids of its shells: what a job's onSpawn gets (a call given to FALLBACK gets its program's own). */
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
 * SIZE workers for FALLBACK's plain calls (no cwd, env, terminal or stdin: those go to FALLBACK itself). onSpawn gets
 * the pid of the shell that runs the job: it lives as long as the program does (the host lock notes it).
 * Each job is one line of sh: the argv, every word single-quoted (never re-split or expanded), stdin /dev/null,
 * stdout and stderr into files of a private directory, then `tsez-done ID STATUS` on the worker's own stdout.
 * A worker that dies fails its job (exit 127, said so) and the rest go to the others, or to FALLBACK.
 */
export async function openShellPool(
  size: number,
  fallback: CommandRunner,
  describe: {show: (file: string, args: readonly string[]) => void; notFound: (file: string) => string},
): Promise<PooledRunner> {
  await sweepKilledPools()
  const dir = await mkdtemp(path.join(tmpdir(), `${DIR_PREFIX}${process.pid}-`))
  const idle: Worker[] = []
  const waiting: Job[] = []
  let next = 0
  let closed = false

  const dispatch = () => {
    while (idle.length > 0 && waiting.length > 0) idle.pop()!.start(waiting.shift()!)
  }
  const workers = Array.from({length: Math.max(1, size)}, () => new Worker(dir, () => `${next++}`, describe.notFound))
  for (const worker of workers) {
    worker.onIdle = () => {
      if (worker.alive) idle.push(worker)
      dispatch()
    }
    idle.push(worker)
  }

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
    shells: workers.flatMap((worker) => worker.pid ?? []),
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
    if (!Number.isSafeInteger(pid) || pid <= 0 || running(pid)) continue
    const dir = path.join(tmpdir(), name)
    const info = await lstat(dir).catch(() => undefined)
    if (info?.isDirectory() !== true || info.uid !== process.getuid?.()) continue
    await rm(dir, {recursive: true, force: true}).catch(() => undefined)
  }
}

function running(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
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

  constructor(
    private readonly dir: string,
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
    createInterface({input: this.child.stdout!}).on('line', (line) => void this.finished(line))
  }

  start(job: Job): void {
    const id = this.nextId()
    this.current = {id, job}
    if (this.pid !== undefined) job.onSpawn?.(this.pid)
    const out = shellWord(path.join(this.dir, `${id}.out`))
    const err = shellWord(path.join(this.dir, `${id}.err`))
    const command = [job.file, ...job.args].map(shellWord).join(' ')
    this.child.stdin!.write(`{ ${command}\n} </dev/null >${out} 2>${err}; echo "tsez-done ${id} $?"\n`)
  }

  get pid(): number | undefined {
    return this.child.pid
  }

  end(): Promise<void> {
    this.child.stdin!.end()
    return this.exited
  }

  private async finished(line: string): Promise<void> {
    const match = /^tsez-done (\d+) (\d+)$/.exec(line)
    const current = this.current
    if (!match || !current || match[1] !== current.id) return
    const base = path.join(this.dir, current.id)
    const read = (file: string) => readFile(file, 'utf8').catch(() => '')
    const [stdout, stderr] = await Promise.all([read(`${base}.out`), read(`${base}.err`)])
    await Promise.all([rm(`${base}.out`, {force: true}), rm(`${base}.err`, {force: true})])
    const exitCode = Number(match[2])
    // sh's own "not found" (127) reads as the runner's: the program is not on PATH.
    const missing = exitCode === 127 && /not found|No such file/.test(stderr) && stdout === ''
    this.current = undefined
    current.job.resolve({exitCode, stdout, stderr: missing ? this.notFound(current.job.file) : stderr})
    this.onIdle()
  }
}

/** One sh word that is exactly TEXT: single quotes, with each ' written as '\''. */
function shellWord(text: string): string {
  return `'${text.replaceAll("'", "'\\''")}'`
}
