import assert from 'node:assert/strict'

import type {FakeHost} from '../fixtures/fake-host.js'
import {tsez} from '../support/cli.js'
import {seedJail, type SeededHost} from '../support/seed-jails.js'
import {useSeededFakeHost} from '../support/seeded-fake-host.js'

/** The rows of `tsez list --json`: the first array in its envelope. */
function rows(json: unknown): Array<Record<string, unknown>> {
  if (Array.isArray(json)) return json as Array<Record<string, unknown>>
  for (const value of Object.values(json as Record<string, unknown>)) {
    if (Array.isArray(value)) return value as Array<Record<string, unknown>>
  }
  throw new Error(`no rows in ${JSON.stringify(json)}`)
}

describe('tsez start, then tsez list', () => {
  let host: SeededHost
  let fake: FakeHost
  let env: NodeJS.ProcessEnv
  useSeededFakeHost((made) => {
    ;({host, fake, env} = made)
  })

  it('shows the started jail running with its JID and the other stopped, from one jls call', async () => {
    await seedJail(host.config, {name: 'web1'})
    await seedJail(host.config, {name: 'web2'})
    assert.equal((await tsez(['start', 'web1'], env)).exitCode, 0)
    const before = fake.calls('jls').length
    const listed = await tsez(['list', '--json'], env)
    assert.equal(listed.exitCode, 0, listed.stderr)
    assert.equal(fake.calls('jls').length - before, 1, 'one jls call')
    const byName = new Map(rows(JSON.parse(listed.stdout)).map((row) => [row.name, row]))
    const jid = fake.jails().find((j) => j.name === 'web1')?.jid
    assert.equal(byName.get('web1')?.state, 'running')
    assert.equal(byName.get('web1')?.jid, jid)
    assert.equal(byName.get('web2')?.state, 'stopped')

    assert.equal((await tsez(['stop', 'web1'], env)).exitCode, 0)
    const after = rows(JSON.parse((await tsez(['list', '--json'], env)).stdout))
    assert.equal(after.find((row) => row.name === 'web1')?.state, 'stopped')
  })
})
