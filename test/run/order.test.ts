import assert from 'node:assert/strict'

import type {JailRecord} from '../../src/jail/store.js'
import {describeDependencyProblems, dependencyProblems, startOrder, stopOrder} from '../../src/run/order.js'

function jail(name: string, depend: string[] = []): JailRecord {
  return {
    version: 1,
    name,
    hostname: name,
    root: `/usr/jails/${name}`,
    addresses: [],
    flavours: [],
    run: true,
    depend,
    params: {},
    release: '14.3-RELEASE',
    created: '2026-01-01T00:00:00.000Z',
  }
}

describe('run/order', () => {
  const records = [jail('web1', ['db1', 'cache']), jail('db1'), jail('cache', ['db1']), jail('lone')]

  it('starts dependencies first and pulls in those not named', () => {
    assert.deepEqual(startOrder(records, ['web1']), [
      {name: 'db1', after: []},
      {name: 'cache', after: ['db1']},
      {name: 'web1', after: ['cache', 'db1']},
    ])
  })

  it('stops running dependents first and leaves stopped dependents out', () => {
    assert.deepEqual(stopOrder(records, ['db1'], new Set(['db1', 'cache', 'web1'])), [
      {name: 'web1', after: []},
      {name: 'cache', after: ['web1']},
      {name: 'db1', after: ['cache', 'web1']},
    ])
    assert.deepEqual(stopOrder(records, ['db1'], new Set(['db1'])), [{name: 'db1', after: []}])
  })

  it('reports missing dependencies and names every cycle; only the cycles make a usage error', () => {
    const broken = [jail('a', ['b']), jail('b', ['c']), jail('c', ['a']), jail('d', ['ghost']), jail('e', ['e'])]
    const problems = dependencyProblems(broken)
    assert.deepEqual(problems.missing, [{jail: 'd', dependency: 'ghost'}])
    assert.deepEqual(problems.cycles, [
      ['a', 'b', 'c', 'a'],
      ['e', 'e'],
    ])
    assert.match(describeDependencyProblems(problems) ?? '', /dependency cycle a -> b -> c -> a/)
    assert.equal(describeDependencyProblems(dependencyProblems(records)), undefined)
    assert.equal(describeDependencyProblems(dependencyProblems([jail('d', ['ghost'])])), undefined)
  })
})
