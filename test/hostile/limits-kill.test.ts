// `tsez limits` on a running jail SIGKILLed before each of its file-system changes (its rctl calls fall between
// them): after the next command the kernel holds exactly the rules the jail's record says, whichever it is.
import assert from 'node:assert/strict'
import {readFile} from 'node:fs/promises'
import path from 'node:path'

import type {FakeHost} from '../fixtures/fake-host.js'
import {tsezOk} from '../support/cli.js'
import {killedAtStep, ranThrough} from '../support/kill-run.js'
import {seedJail, type SeededHost} from '../support/seed-jails.js'
import {useSeededFakeHost} from '../support/seeded-fake-host.js'

describe('hostile: tsez limits killed at every step', () => {
  let host: SeededHost
  let fake: FakeHost
  let env: NodeJS.ProcessEnv
  useSeededFakeHost(
    (made) => {
      ;({host, fake, env} = made)
    },
    {once: true},
  )
  before(async () => {
    fake.set('sysctl.kern.racct.enable', '1')
    await seedJail(host.config, {name: 'web1'})
    await seedJail(host.config, {name: 'db1', addresses: ['10.0.0.9']})
  })

  const ok = (args: string[]) => tsezOk(args, env)
  const kernelRules = () =>
    (fake.read('rctl.rules') ?? '')
      .split('\n')
      .filter((line) => line.startsWith('jail:web1:'))
      .sort()
  const recordRules = async () => {
    const record = JSON.parse(await readFile(path.join(host.config.confdir, 'web1.json'), 'utf8')) as {
      limits?: {resource: string; action: string; amount: number; per?: string}[]
    }
    return (record.limits ?? []).length
  }

  it('the next command under the lock gives the running jail its recorded rules; nothing is left', async function () {
    this.timeout(300_000)
    await ok(['start', 'web1'])
    await ok(['limits', 'web1', 'maxproc=100', 'openfiles=1000'])
    const outcomes = new Set<string>()
    for (let step = 1; ; step++) {
      const before = kernelRules()
      const limits = ['maxproc=' + String(200 + step), 'memoryuse=' + String(step) + 'G', '--unset', 'openfiles']
      const killed = await killedAtStep(['limits', 'web1', ...limits], step, {env, under: host.dir})
      const through = ranThrough(killed)
      // The next command under the host lock: a stop of another jail (a no-op) settles what the kill left.
      const next = await ok(['stop', 'db1'])
      const after = kernelRules()
      const shown = (await ok(['limits', 'web1', '--json'])).stdout
      const recorded = (JSON.parse(shown) as {limits: string[]}).limits.map((rule) => `jail:web1:${rule}`).sort()
      const what = `step ${step}: ${next.stderr}`
      assert.deepEqual(after, recorded, what)
      const isNew = recorded.some((rule) => rule.startsWith(`jail:web1:memoryuse:deny=${step}G`))
      outcomes.add(isNew ? 'new' : 'old')
      if (!isNew) assert.deepEqual(after, before, what)
      assert.equal(await recordRules(), isNew ? 2 : before.length, what)
      assert.deepEqual(
        (fake.read('rctl.rules') ?? '').split('\n').filter((line) => line !== '' && !line.startsWith('jail:web1:')),
        [],
        what,
      )
      if (through) {
        assert.ok(step > 2, `only ${step} steps`)
        break
      }
      // Back to the rules the next round starts from.
      if (isNew) await ok(['limits', 'web1', '--unset', 'memoryuse', 'maxproc=100', 'openfiles=1000'])
    }
    assert.deepEqual([...outcomes].sort(), ['new', 'old'])
  })
})
