// Runs one task per jail, N at a time, with listr2 progress on stderr (plain lines without a TTY, silent under --json).
import {Listr, ListrLogger, ProcessOutput} from 'listr2'

export interface ParallelTask<T> {
  title: string
  /** Does the work; `failed` marks an outcome that needs attention (shown as ✖) without losing its value. */
  run: (report: (line: string) => void) => Promise<{value: T; title: string; failed?: boolean}>
}

export type Settled<T> = {ok: true; value: T} | {ok: false; error: unknown}

export interface ParallelOptions {
  concurrency: number
  /** --json: no progress at all. */
  quiet: boolean
  stream?: NodeJS.WriteStream
}

/** Every task runs whatever happens to the others; results come back in task order. */
export async function runInParallel<T>(
  tasks: Array<ParallelTask<T>>,
  options: ParallelOptions,
): Promise<Array<Settled<T>>> {
  const results: Array<Settled<T> | undefined> = tasks.map(() => undefined)
  const stream = options.stream ?? process.stderr
  const logger = new ListrLogger({processOutput: new ProcessOutput(stream, stream)})
  const list = new Listr(
    tasks.map((job, index) => ({
      title: job.title,
      task: async (_context: unknown, task: {title: string; output: string}) => {
        try {
          const done = await job.run((line) => (task.output = line))
          results[index] = {ok: true, value: done.value}
          task.title = done.title
          if (done.failed) throw new Error(done.title)
        } catch (error) {
          results[index] ??= {ok: false, error}
          throw error
        }
      },
    })),
    {
      concurrent: Math.max(1, options.concurrency),
      exitOnError: false,
      renderer: 'default',
      rendererOptions: {logger},
      fallbackRenderer: 'simple',
      fallbackRendererOptions: {logger},
      fallbackRendererCondition: () => !stream.isTTY || (stream.columns ?? 0) === 0,
      silentRendererCondition: () => options.quiet,
    },
  )
  await list.run().catch(() => undefined) // failures are already in results, per task
  return results.map((result) => result ?? {ok: false, error: new Error('task did not run')})
}
