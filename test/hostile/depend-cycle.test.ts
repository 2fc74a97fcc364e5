import assert from 'node:assert/strict'
import {execFile} from 'node:child_process'
import path from 'node:path'
import {promisify} from 'node:util'

import type {FakeHost} from '../fixtures/fake-host.js'
import {tsez} from '../support/cli.js'
import {seedJail, type SeededHost} from '../support/seed-jails.js'
import {useSeededFakeHost} from '../support/seeded-fake-host.js'
import {diffTrees, snapshotTree} from '../support/tree.js'

const exec = promisify(execFile)

interface JsonRun {
  jails: Array<{name: string; ok: boolean; error: string | null}>
}

// A depend cycle can never start (each jail waits for the other); it must not get in, nor block jails outside it.
describe('hostile: dependency cycles', () => {
  let host: SeededHost
  let fake: FakeHost
  let env: NodeJS.ProcessEnv
  useSeededFakeHost((made) => {
    ;({host, fake, env} = made)
  })
  const started = () => fake.jails().map((j) => j.name)

  it('config refuses a --depend that closes a cycle: exit 2, the cycle named, nothing changed', async () => {
    for (const name of ['a', 'b', 'c']) await seedJail(host.config, {name})
    assert.equal((await tsez(['config', 'a', '--depend', 'b'], env)).exitCode, 0)
    assert.equal((await tsez(['config', 'b', '--depend', 'c'], env)).exitCode, 0)
    const before = await snapshotTree(host.dir)
    const two = await tsez(['config', 'b', '--depend', 'a'], env)
    assert.equal(two.exitCode, 2, two.stderr)
    assert.match(two.stderr, /--depend a: dependency cycle b -> a -> b/)
    const three = await tsez(['config', 'c', '--depend', 'a', '--norun'], env)
    assert.equal(three.exitCode, 2, three.stderr)
    assert.match(three.stderr, /--depend a: dependency cycle c -> a -> b -> c/)
    const unknown = await tsez(['config', 'c', '--depend', 'ghost'], env)
    assert.equal(unknown.exitCode, 2)
    assert.match(unknown.stderr, /--depend ghost: no such jail/)
    assert.deepEqual(diffTrees(before, await snapshotTree(host.dir), {ignoreMtimeOf: ['var/db/tsez']}), [])
    assert.deepEqual(fake.calls('jail'), [])
  })

  describe('a cycle already on disk (records of an older tsez)', () => {
    beforeEach(async () => {
      await seedJail(host.config, {name: 'a', depend: ['b']})
      await seedJail(host.config, {name: 'b', depend: ['a']})
      await seedJail(host.config, {name: 'e', depend: ['a']}) // depends on the cycle
      await seedJail(host.config, {name: 'lone', depend: ['d']})
      await seedJail(host.config, {name: 'd'})
      await seedJail(host.config, {name: 'x', depend: ['ghost']}) // a missing dependency
    })

    it('start and stop of unrelated jails go ahead', async () => {
      const start = await tsez(['start', 'lone'], env)
      assert.equal(start.exitCode, 0, start.stderr)
      assert.deepEqual(started().sort(), ['d', 'lone'])
      const stop = await tsez(['stop', 'd'], env)
      assert.equal(stop.exitCode, 0, stop.stderr)
      assert.deepEqual(started(), [])
    })

    it('naming a jail in or depending on the cycle is refused: exit 2, nothing started', async () => {
      for (const name of ['a', 'e']) {
        const result = await tsez(['start', name, 'lone'], env)
        assert.equal(result.exitCode, 2, `${name}: ${result.stderr}`)
        assert.match(result.stderr, /cycle a -> b -> a/)
        assert.deepEqual(started(), [])
      }
    })

    it('a dependency on a jail that does not exist blocks nothing: start warns and goes ahead, stop is silent', async () => {
      const start = await tsez(['start', 'x'], env)
      assert.equal(start.exitCode, 0, start.stderr)
      assert.match(
        start.stderr,
        /warning: x depends on ghost, which does not exist: starting x without it \(tsez config x --undepend ghost drops it\)/,
      )
      assert.deepEqual(started(), ['x'])
      const stop = await tsez(['stop', 'x'], env)
      assert.equal(stop.exitCode, 0, stop.stderr)
      assert.doesNotMatch(stop.stderr, /ghost/)
      assert.deepEqual(started(), [])
    })

    it('start and stop without names act on the others (x too) and refuse the cycle and its dependents, by name', async () => {
      const start = await tsez(['start', '--json'], env)
      assert.equal(start.exitCode, 1, start.stdout)
      const results = new Map((JSON.parse(start.stdout) as JsonRun).jails.map((j) => [j.name, j]))
      assert.deepEqual(started().sort(), ['d', 'lone', 'x'])
      for (const name of ['a', 'b']) assert.match(results.get(name)?.error ?? '', /dependency cycle a -> b -> a/)
      assert.match(results.get('e')?.error ?? '', /depends on a .*dependency cycle a -> b -> a/)
      assert.deepEqual(
        [...results.values()].filter((j) => j.ok).map((j) => j.name),
        ['d', 'lone', 'x'],
      )
      const stop = await tsez(['stop'], env)
      assert.equal(stop.exitCode, 0, stop.stderr)
      assert.deepEqual(started(), [])
    })

    it('stop of a jail the cycle depends on, with the cycle running: the cycle is refused, the jail left running', async () => {
      await seedJail(host.config, {name: 'a', depend: ['b', 'd']}) // a (in the cycle) now also depends on d
      for (const name of ['d', 'b', 'a']) {
        const conf = path.join(host.config.jailconfDir, `${name}.conf`)
        await exec('jail', ['-f', conf, '-c', name], {env: fake.env}) // started by hand (or by an older tsez)
      }
      const stop = await tsez(['stop', 'd'], env)
      assert.equal(stop.exitCode, 1, stop.stdout)
      assert.match(stop.stdout, /a: FAILED: .*dependency cycle a -> b -> a/)
      assert.match(stop.stdout, /d: FAILED: skipped: a, which depends on it, did not stop/)
      assert.deepEqual(started().sort(), ['a', 'b', 'd'])
    })
  })
})
