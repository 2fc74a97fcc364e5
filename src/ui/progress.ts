// Progress on stderr: an ora spinner or a listr2 task list on a terminal, plain lines otherwise, nothing under --json.
import type {Ora} from 'ora'

export interface Step {
  update(text: string): void
  succeed(text: string): void
  fail(text: string): void
}

/** One piece of work run beside others (a jail's etcupdate), shown under its title while it runs. */
export interface ProgressTask<T> {
  title: string
  /** Does the work; `failed` marks an outcome that needs attention (shown as ✖) without losing its value. */
  run: (report: (line: string) => void) => Promise<{value: T; title: string; failed?: boolean}>
}

export type Settled<T> = {ok: true; value: T} | {ok: false; error: unknown}

export interface Progress {
  step(text: string): Step
  /** Runs TASKS at most `concurrency` at a time; each runs whatever happens to the others; results in task order. */
  tasks: <T>(tasks: Array<ProgressTask<T>>, options: {concurrency: number}) => Promise<Array<Settled<T>>>
}

export interface ProgressOptions {
  stream: NodeJS.WriteStream
  silent: boolean
}

const silentStep: Step = {update() {}, succeed() {}, fail() {}}

/** No output at all (--json, and tests): steps say nothing, tasks still run `concurrency` at a time. */
export const quietProgress: Progress = {step: () => silentStep, tasks: runPooled}

export function createProgress({stream, silent}: ProgressOptions): Progress {
  if (silent) return quietProgress
  // listr2 is loaded only when tasks run: most commands never need it (start-up time).
  const tasks: Progress['tasks'] = async (list, options) =>
    (await import('./parallel.js')).runWithListr(list, {...options, stream})
  // ora spins forever on a pty reporting 0 columns (toolchain.md §6): only a real, sized terminal gets a spinner.
  const interactive = Boolean(stream.isTTY) && (stream.columns ?? 0) > 0
  if (!interactive) return {step: (text) => plainStep(stream, text), tasks: (list, o) => plainTasks(stream, list, o)}
  return {step: (text) => spinnerStep(stream, text), tasks}
}

/** A pool of `concurrency` workers taking the tasks in order. */
async function runPooled<T>(tasks: Array<ProgressTask<T>>, options: {concurrency: number}): Promise<Array<Settled<T>>> {
  const results: Array<Settled<T>> = []
  let next = 0
  const worker = async () => {
    while (next < tasks.length) {
      const index = next++
      try {
        results[index] = {ok: true, value: (await tasks[index]!.run(() => undefined)).value}
      } catch (error) {
        results[index] = {ok: false, error}
      }
    }
  }
  const workers = Math.min(Math.max(1, options.concurrency), tasks.length)
  await Promise.all(Array.from({length: workers}, worker))
  return results
}

/**
 * Without a terminal: a count of the tasks done, at most every 2 s and at the end, never their results: the
 * command's own report says how each went (per-task lines repeated it, update -U listed each jail twice).
 */
async function plainTasks<T>(
  stream: NodeJS.WritableStream,
  tasks: Array<ProgressTask<T>>,
  options: {concurrency: number},
): Promise<Array<Settled<T>>> {
  let done = 0
  let last = Date.now()
  const counted = tasks.map((task): ProgressTask<T> => ({
    title: task.title,
    run: async (report) => {
      try {
        return await task.run(report)
      } finally {
        done++
        if (done === tasks.length || Date.now() - last >= 2000) {
          last = Date.now()
          stream.write(`  ${done}/${tasks.length} done\n`)
        }
      }
    },
  }))
  return runPooled(counted, options)
}

/** Without a terminal: the start line, updates at most every 2 s, and the final line. */
function plainStep(stream: NodeJS.WritableStream, text: string): Step {
  stream.write(`${text}\n`)
  let last = Date.now()
  return {
    update(line) {
      const now = Date.now()
      if (now - last < 2000) return
      last = now
      stream.write(`  ${line}\n`)
    },
    succeed: (line) => stream.write(`${line}\n`),
    fail: (line) => stream.write(`${line}\n`),
  }
}

function spinnerStep(stream: NodeJS.WriteStream, text: string): Step {
  let spinner: Ora | undefined
  let pending = text
  let finished = false
  void import('ora').then(({default: ora}) => {
    if (!finished) spinner = ora({text: pending, stream, isEnabled: true}).start()
  })
  const finish = (symbol: 'succeed' | 'fail', line: string) => {
    finished = true
    if (spinner) spinner[symbol](line)
    else stream.write(`${line}\n`)
  }
  return {
    update(line) {
      pending = `${text} ${line}`
      if (spinner) spinner.text = pending
    },
    succeed: (line) => finish('succeed', line),
    fail: (line) => finish('fail', line),
  }
}
