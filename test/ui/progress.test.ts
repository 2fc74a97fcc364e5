// Progress.tasks: N at a time, every task run whatever the others do, results in task order; plain lines off a TTY.
import assert from 'node:assert/strict'
import {PassThrough} from 'node:stream'

import {createProgress, quietProgress, type ProgressTask, type Settled} from '../../src/ui/progress.js'

/** Tasks that note how many run at once; task 1 throws, task 2 finishes with an outcome marked failed. */
function sampleTasks(count: number) {
  let running = 0
  let peak = 0
  const tasks = Array.from({length: count}, (_, index): ProgressTask<number> => ({
    title: `task ${index}`,
    run: async (report) => {
      running++
      peak = Math.max(peak, running)
      report('working')
      await new Promise((resolve) => setTimeout(resolve, 10 + ((index * 7) % 5)))
      running--
      if (index === 1) throw new Error('task 1 broke')
      return {value: index * 10, title: `task ${index} done`, failed: index === 2}
    },
  }))
  return {tasks, peak: () => peak}
}

function expectSettled(results: Array<Settled<number>>, count: number) {
  assert.equal(results.length, count)
  results.forEach((result, index) => {
    if (index === 1) assert.equal(result.ok ? 'ok' : (result.error as Error).message, 'task 1 broke')
    else assert.deepEqual(result, {ok: true, value: index * 10})
  })
}

describe('ui/progress', () => {
  it('quiet: runs at most `concurrency` at a time, all of them, results in task order', async () => {
    const {tasks, peak} = sampleTasks(7)
    expectSettled(await quietProgress.tasks(tasks, {concurrency: 3}), 7)
    assert.equal(peak(), 3)
    assert.deepEqual(await quietProgress.tasks([], {concurrency: 3}), [])
  })

  it('under --json (silent) prints nothing', async () => {
    const stream = Object.assign(new PassThrough(), {isTTY: false}) as unknown as NodeJS.WriteStream
    let written = ''
    ;(stream as unknown as PassThrough).on('data', (chunk: Buffer) => (written += String(chunk)))
    const {tasks} = sampleTasks(3)
    expectSettled(await createProgress({stream, silent: true}).tasks(tasks, {concurrency: 2}), 3)
    assert.equal(written, '')
  })

  it('without a TTY: a plain count of the tasks done, never their results (the command reports those), same results', async () => {
    const stream = Object.assign(new PassThrough(), {isTTY: false}) as unknown as NodeJS.WriteStream
    let written = ''
    ;(stream as unknown as PassThrough).on('data', (chunk: Buffer) => (written += String(chunk)))
    const {tasks, peak} = sampleTasks(4)
    expectSettled(await createProgress({stream, silent: false}).tasks(tasks, {concurrency: 2}), 4)
    assert.equal(peak(), 2)
    assert.match(written, /^ {2}4\/4 done$/m)
    for (const line of ['task 0 done', 'task 1 broke']) assert.ok(!written.includes(line), written)
  })
})
