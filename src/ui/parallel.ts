// Progress.tasks on a stream with listr2: a live task list on a terminal, plain lines without one.
import {Listr, ListrLogger, ProcessOutput} from 'listr2'

import type {ProgressTask, Settled} from './progress.js'

/** Every task runs whatever happens to the others; results come back in task order. */
export async function runWithListr<T>(
  tasks: Array<ProgressTask<T>>,
  options: {concurrency: number; stream: NodeJS.WriteStream},
): Promise<Array<Settled<T>>> {
  const results: Array<Settled<T> | undefined> = tasks.map(() => undefined)
  const {stream} = options
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
    },
  )
  await list.run().catch(() => undefined) // failures are already in results, per task
  return results.map((result) => result ?? {ok: false, error: new Error('task did not run')})
}
