// start, stop and restart that waited for the host lock act on the jail records as the holder left them.
import assert from 'node:assert/strict'
import {writeFile} from 'node:fs/promises'
import path from 'node:path'

import {packageRoot, spawnNode, tsez, type CliResult} from '../support/cli.js'
import {createInstalledHost, type InstalledHost} from '../support/installed-host.js'
import {isRoot} from './support.js'

const GATE = path.join(packageRoot, 'test/hostile/lock-gate.ts')

describe('hostile: start, stop and restart read the jail records under the host lock', function () {
  this.timeout(120_000)
  let host: InstalledHost
  let round = 0
  before(async function () {
    if (!isRoot) this.skip() // created jails have root-owned files
    host = await createInstalledHost()
  })
  after(async () => host?.cleanup())
  afterEach(async () => {
    if (host === undefined) return
    await tsez(['stop', '--all'], host.env)
    for (const name of ['web1', 'web2', 'web3', 'db1']) await tsez(['delete', '-w', '--force', name], host.env)
  })

  const ok = async (...args: string[]) => {
    const result = await tsez(args, host.env)
    assert.equal(result.exitCode, 0, `${args.join(' ')}: ${result.stderr}`)
  }
  const running = () =>
    host.fake
      .jails()
      .map((jail) => jail.name)
      .sort()

  /** A real tsez with lock-gate.ts preloaded; resolves LINE once its stderr shows it (or it exits without). */
  const spawn = (args: string[], env: NodeJS.ProcessEnv, line: string) => {
    const argv = ['--import', 'tsx', '--import', GATE, path.join(packageRoot, 'bin/dev.js'), ...args]
    const {child, done} = spawnNode(argv, {...host.env, NODE_ENV: 'development', TSEZ_LOCK_WAIT: '60', ...env})
    let seen = ''
    const reached = new Promise<boolean>((resolve) => {
      child.stderr.on('data', (chunk: string) => {
        seen += chunk
        if (seen.includes(line)) resolve(true)
      })
      void done.then(() => resolve(false))
    })
    return {done, reached}
  }

  /**
   * HOLDER takes the host lock and pauses before it changes any jail; WAITER starts, meets the lock held (it may
   * read whatever it reads before it waits), then HOLDER goes on. Returns both results.
   */
  const afterHolder = async (holder: string[], waiter: string[]): Promise<[CliResult, CliResult]> => {
    const gate = path.join(host.root, `gate-${++round}`)
    const {dirs} = host
    const under = [dirs.confdir, dirs.jailconf, dirs.fstab, dirs.jaildir].join(':')
    const first = spawn(holder, {TSEZ_TEST_GATE: gate, TSEZ_TEST_GATE_UNDER: under}, 'lock-gate: paused')
    let second: ReturnType<typeof spawn> | undefined
    try {
      if (!(await first.reached)) assert.fail(`${holder.join(' ')} never paused: ${(await first.done).stderr}`)
      second = spawn(waiter, {}, 'lock-gate: waiting')
      await second.reached
    } finally {
      await writeFile(gate, '') // never leave the holder paused
    }
    const results: [CliResult, CliResult] = [await first.done, await second.done]
    const waited = results[1].stderr.includes('lock-gate: waiting')
    assert.equal(results[0].exitCode, 0, `${holder.join(' ')}: ${results[0].stderr}`)
    assert.ok(
      waited,
      `${waiter.join(' ')} did not wait for the lock: exit ${results[1].exitCode}: ${results[1].stderr}`,
    )
    return results
  }

  const refusedNoJail = (result: CliResult, name: string) => {
    assert.equal(result.exitCode, 2, result.stderr)
    assert.match(result.stderr, new RegExp(`^tsez: no jail named ${name}: `, 'm'))
  }

  it('start NAME behind a delete -w of NAME: exit 2, no jail named NAME, nothing started', async () => {
    await ok('create', 'web1', '10.2.0.1')
    const [, start] = await afterHolder(['delete', '-w', '--force', 'web1'], ['start', 'web1'])
    refusedNoJail(start, 'web1')
    assert.deepEqual(running(), [])
  })

  it('stop NAME behind a delete -w of NAME: exit 2, no jail named NAME', async () => {
    await ok('create', 'web1', '10.2.0.1')
    const [, stop] = await afterHolder(['delete', '-w', '--force', 'web1'], ['stop', 'web1'])
    refusedNoJail(stop, 'web1')
  })

  it('start NEW behind a rename OLD -> NEW: starts NEW', async () => {
    await ok('create', 'web1', '10.2.0.1')
    const [, start] = await afterHolder(['config', 'web1', '--rename', 'web2'], ['start', 'web2'])
    assert.equal(start.exitCode, 0, start.stderr)
    assert.deepEqual(running(), ['web2'])
  })

  it('start OLD behind a rename OLD -> NEW: exit 2, no jail named OLD', async () => {
    await ok('create', 'web1', '10.2.0.1')
    const [, start] = await afterHolder(['config', 'web1', '--rename', 'web2'], ['start', 'web1'])
    refusedNoJail(start, 'web1')
    assert.deepEqual(running(), [])
  })

  it('start NAME behind a config NAME --depend db1: starts db1 first', async () => {
    await ok('create', 'db1', '10.2.0.2')
    await ok('create', 'web1', '10.2.0.1')
    const [, start] = await afterHolder(['config', 'web1', '--depend', 'db1'], ['start', 'web1'])
    assert.equal(start.exitCode, 0, start.stderr)
    assert.match(start.stdout, /db1: started[^]*web1: started/)
    assert.deepEqual(running(), ['db1', 'web1'])
  })

  it('restart NAME behind a config NAME --depend db1: starts db1 too', async () => {
    await ok('create', 'db1', '10.2.0.2')
    await ok('create', 'web1', '10.2.0.1')
    const [, restart] = await afterHolder(['config', 'web1', '--depend', 'db1'], ['restart', 'web1'])
    assert.equal(restart.exitCode, 0, restart.stderr)
    assert.deepEqual(running(), ['db1', 'web1'])
  })

  it('start (no names) behind a config NAME --norun: NAME is left out', async () => {
    await ok('create', 'db1', '10.2.0.2')
    await ok('create', 'web1', '10.2.0.1')
    const [, start] = await afterHolder(['config', 'web1', '--norun'], ['start'])
    assert.equal(start.exitCode, 0, start.stderr)
    assert.deepEqual(running(), ['db1'])
  })

  it('start NAME behind the create of NAME: starts it', async () => {
    const [, start] = await afterHolder(['create', 'web3', '10.2.0.3'], ['start', 'web3'])
    assert.equal(start.exitCode, 0, start.stderr)
    assert.deepEqual(running(), ['web3'])
  })
})
