import assert from 'node:assert/strict'

import {runScheduled, type TaskOutcome} from '../../src/run/scheduler.js'

const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('run/scheduler', () => {
  it('never runs more than the limit at once, and runs independent jails side by side', async () => {
    let inFlight = 0
    let peak = 0
    const order = Array.from({length: 10}, (_, i) => ({name: `j${i}`, after: []}))
    const results = await runScheduled<TaskOutcome>(
      order,
      3,
      async () => {
        peak = Math.max(peak, ++inFlight)
        await tick(5)
        inFlight--
        return {ok: true as const}
      },
      () => ({ok: false as const}),
    )
    assert.equal(peak, 3)
    assert.deepEqual(
      results.map((r) => r.name),
      order.map((j) => j.name),
    )
    assert.ok(results.every((r) => r.outcome?.ok === true))
  })

  it('starts a jail only after its dependencies succeeded, and skips it when one failed', async () => {
    const started: string[] = []
    const order = [
      {name: 'db', after: []},
      {name: 'bad', after: []},
      {name: 'web', after: ['db']},
      {name: 'app', after: ['bad']},
      {name: 'front', after: ['app', 'web']},
    ]
    const results = await runScheduled<{ok: boolean; why?: string} & TaskOutcome>(
      order,
      4,
      async (name) => {
        started.push(name)
        await tick(name === 'db' ? 10 : 1)
        if (name === 'bad') throw new Error('boom')
        return {ok: true as const}
      },
      (name, error) => ({ok: false as const, why: `${name}: ${(error as Error).message}`}),
    )
    assert.deepEqual(started.sort(), ['bad', 'db', 'web'])
    const byName = new Map(results.map((r) => [r.name, r]))
    assert.deepEqual(byName.get('bad')?.outcome, {ok: false, why: 'bad: boom'})
    assert.equal(byName.get('app')?.blockedBy, 'bad')
    assert.equal(byName.get('front')?.blockedBy, 'app')
    assert.equal(byName.get('web')?.outcome?.ok, true)
  })
})
