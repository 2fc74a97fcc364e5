import assert from 'node:assert/strict'
import path from 'node:path'

import type {FakeHost} from '../fixtures/fake-host.js'
import {tsez} from '../support/cli.js'
import {seedJail, type SeededHost} from '../support/seed-jails.js'
import {useSeededFakeHost} from '../support/seeded-fake-host.js'

describe('tsez console', () => {
  let host: SeededHost
  let fake: FakeHost
  let env: NodeJS.ProcessEnv
  useSeededFakeHost((made) => {
    ;({host, fake, env} = made)
  })
  beforeEach(async () => {
    await seedJail(host.config, {name: 'web1'})
  })

  it('refuses a stopped jail without -f (exit 2, with the hint) and runs nothing', async () => {
    const result = await tsez(['console', 'web1'], env)
    assert.equal(result.exitCode, 2)
    assert.match(
      result.stderr,
      /jail web1 is not running: start it with `tsez start web1` or use `tsez console -f web1`/,
    )
    assert.deepEqual(fake.calls('jexec'), [])
  })

  it('-f starts the jail first, then logs in with jexec -l NAME login -f root', async () => {
    const result = await tsez(['console', '-f', 'web1'], env)
    assert.equal(result.exitCode, 0, result.stderr)
    assert.deepEqual(
      fake.calls().filter(([program]) => program === 'jail' || program === 'jexec'),
      [
        ['jail', '-f', path.join(host.config.jailconfDir, 'web1.conf'), '-c', 'web1'],
        ['jexec', '-l', 'web1', 'login', '-f', 'root'],
      ],
    )
  })

  it("-e runs the command through the jail's /bin/sh -c and passes its exit status on", async () => {
    assert.equal((await tsez(['start', 'web1'], env)).exitCode, 0)
    fake.set('jexec.exit', '7')
    const result = await tsez(['console', '-e', 'service nginx status', 'web1'], env)
    assert.equal(result.exitCode, 7, result.stderr)
    assert.deepEqual(fake.calls('jexec'), [['jexec', '-l', 'web1', '/bin/sh', '-c', 'service nginx status']])
  })

  it('--json captures the output of -e and refuses an interactive login', async () => {
    assert.equal((await tsez(['start', 'web1'], env)).exitCode, 0)
    fake.set('jexec.stdout', 'nginx is running\n')
    const result = await tsez(['console', '--json', '-e', 'service nginx status', 'web1'], env)
    assert.equal(result.exitCode, 0, result.stderr)
    const parsed = JSON.parse(result.stdout) as {exitCode: number; stdout: string; argv: string[]}
    assert.equal(parsed.stdout, 'nginx is running\n')
    assert.deepEqual(parsed.argv, ['jexec', '-l', 'web1', '/bin/sh', '-c', 'service nginx status'])
    const login = await tsez(['console', '--json', 'web1'], env)
    assert.equal(login.exitCode, 2)
  })

  it('an unknown jail is bad usage (exit 2)', async () => {
    const result = await tsez(['console', 'nosuch'], env)
    assert.equal(result.exitCode, 2)
    assert.match(result.stderr, /no jail named "nosuch"/)
  })
})
