import assert from 'node:assert/strict'
import {rm, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {pendingInstallPath} from '../../src/base/update-state.js'
import type {FakeHost} from '../fixtures/fake-host.js'
import {tsez} from '../support/cli.js'
import {seedJail, type SeededHost} from '../support/seed-jails.js'
import {useSeededFakeHost} from '../support/seeded-fake-host.js'
import {seedStateEntry} from '../support/update-state.js'

interface JsonJail {
  name: string
  action: string
  ok: boolean
  noop: boolean
  skipped: boolean
  error: string | null
  durationMs: number
}

describe('tsez start / stop / restart', () => {
  let host: SeededHost
  let fake: FakeHost
  let env: NodeJS.ProcessEnv
  useSeededFakeHost((made) => {
    ;({host, fake, env} = made)
  })

  const conf = (name: string) => path.join(host.config.jailconfDir, `${name}.conf`)
  const jailCalls = () => fake.calls('jail').map((argv) => argv.join(' '))

  it('start NAME runs jail -f CONF -c NAME; jls and mount -p reflect it; stop runs jail -f CONF -r NAME', async () => {
    const web = await seedJail(host.config, {name: 'web1'})
    const started = await tsez(['start', 'web1'], env)
    assert.equal(started.exitCode, 0, started.stderr)
    assert.match(started.stdout, /^web1: started \(\d+\.\d s\)$/m)
    assert.deepEqual(fake.calls(), [
      ['jls', '-v', '--libxo', 'json'],
      ['mount', '-p'],
      ['jail', '-f', conf('web1'), '-c', 'web1'],
    ])
    assert.deepEqual(
      fake.jails().map((j) => [j.name, j.path]),
      [['web1', web.root]],
    )
    assert.ok(fake.mounts().some((m) => m.mountPoint === `${web.root}/basejail` && m.type === 'nullfs'))

    const stopped = await tsez(['stop', 'web1'], env)
    assert.equal(stopped.exitCode, 0, stopped.stderr)
    assert.match(stopped.stdout, /^web1: stopped/m)
    assert.deepEqual(jailCalls(), [`jail -f ${conf('web1')} -c web1`, `jail -f ${conf('web1')} -r web1`])
    assert.deepEqual(fake.jails(), [])
    assert.deepEqual(fake.mounts(), [])
  })

  it('starts jails on a half-updated basejail, but says so and how to finish the update', async () => {
    await seedJail(host.config, {name: 'web1'})
    const workdir = path.join(host.config.dbdir, 'freebsd-update')
    const manifest = await seedStateEntry(workdir, pendingInstallPath(workdir, host.config.basejail), 'install.half', [
      'worlddone',
    ])
    await writeFile(
      path.join(host.config.dbdir, 'update-pending.json'),
      '{"action":"upgrade","targetRelease":"15.1-RELEASE","startedAt":"2026-11-28T15:00:00Z"}',
    )
    const started = await tsez(['start', 'web1'], env)
    assert.equal(started.exitCode, 0, started.stderr)
    assert.match(started.stderr, /the basejail is half updated .* finish it with tsez update -U -r 15\.1-RELEASE/)
    const stopped = await tsez(['stop', 'web1'], env)
    assert.doesNotMatch(stopped.stderr, /half updated/)
    await rm(path.join(manifest, 'worlddone'))
    assert.doesNotMatch((await tsez(['start', 'web1'], env)).stderr, /half updated/, 'fetched, not begun')
  })

  it('already running / already stopped is a no-op with exit 0', async () => {
    await seedJail(host.config, {name: 'web1'})
    assert.equal((await tsez(['start', 'web1'], env)).exitCode, 0)
    const again = await tsez(['start', 'web1', '--json'], env)
    assert.equal(again.exitCode, 0)
    const result = JSON.parse(again.stdout) as {ok: boolean; jails: JsonJail[]}
    assert.deepEqual(
      result.jails.map((j) => [j.name, j.ok, j.noop]),
      [['web1', true, true]],
    )
    assert.equal(jailCalls().length, 1, 'no second jail -c')
    assert.equal((await tsez(['stop', 'web1'], env)).exitCode, 0)
    const stopAgain = await tsez(['stop', 'web1'], env)
    assert.equal(stopAgain.exitCode, 0)
    assert.match(stopAgain.stdout, /^web1: already stopped$/m)
  })

  it('refuses to start over a leftover mount (that jail fails, exit 1), and starts the others', async () => {
    const web = await seedJail(host.config, {name: 'web1'})
    await seedJail(host.config, {name: 'web2'})
    fake.set('mounts', `${host.config.basejail}\t${web.root}/basejail\tnullfs\tro\n`)
    const result = await tsez(['start', '--json'], env)
    assert.equal(result.exitCode, 1)
    const jails = (JSON.parse(result.stdout) as {jails: JsonJail[]}).jails
    assert.deepEqual(
      jails.map((j) => [j.name, j.ok]),
      [
        ['web1', false],
        ['web2', true],
      ],
    )
    assert.match(jails[0]?.error ?? '', /basejail is already mounted although the jail is stopped/)
    assert.deepEqual(jailCalls(), [`jail -f ${conf('web2')} -c web2`])
  })

  it('a failing jail: exit 1, its output shown under its name, dependents skipped, the others started', async () => {
    await seedJail(host.config, {name: 'db1'})
    await seedJail(host.config, {name: 'web1', depend: ['db1']})
    await seedJail(host.config, {name: 'mail'})
    fake.set('jail.fail.db1', 'jail: db1: /sbin/mount -t nullfs failed\n')
    const result = await tsez(['start', '-p', '3'], env)
    assert.equal(result.exitCode, 1)
    assert.match(result.stdout, /^db1: FAILED: jail -f \S+db1\.conf -c db1 failed \(exit 1\)/m)
    assert.match(result.stdout, /^web1: FAILED: skipped: it depends on db1, which did not start$/m)
    assert.match(result.stdout, /^mail: started/m)
    assert.match(result.stderr, /--- output of db1:\n {2}jail: db1: \/sbin\/mount -t nullfs failed/)
    assert.deepEqual(jailCalls().sort(), [`jail -f ${conf('db1')} -c db1`, `jail -f ${conf('mail')} -c mail`])
  })

  it('stop without names stops dependents before dependencies; restart stops then starts', async () => {
    await seedJail(host.config, {name: 'db1'})
    await seedJail(host.config, {name: 'web1', depend: ['db1']})
    assert.equal((await tsez(['start'], env)).exitCode, 0)
    assert.deepEqual(jailCalls(), [`jail -f ${conf('db1')} -c db1`, `jail -f ${conf('web1')} -c web1`])
    const restarted = await tsez(['restart', 'web1', '--json'], env)
    assert.equal(restarted.exitCode, 0, restarted.stderr)
    assert.deepEqual(
      (JSON.parse(restarted.stdout) as {jails: JsonJail[]}).jails.map((j) => [j.name, j.action, j.ok]),
      [
        ['web1', 'restart', true],
        ['db1', 'start', true],
      ],
    )
    assert.equal((await tsez(['stop'], env)).exitCode, 0)
    assert.deepEqual(jailCalls().slice(2), [
      `jail -f ${conf('web1')} -r web1`,
      `jail -f ${conf('web1')} -c web1`,
      `jail -f ${conf('web1')} -r web1`,
      `jail -f ${conf('db1')} -r db1`,
    ])
  })

  it('a dependency cycle is refused before anything runs, exit 2, naming the cycle', async () => {
    await seedJail(host.config, {name: 'a', depend: ['b']})
    await seedJail(host.config, {name: 'b', depend: ['a']})
    const result = await tsez(['start'], env)
    assert.equal(result.exitCode, 2)
    assert.match(result.stderr, /dependency cycle a -> b -> a/)
    assert.deepEqual(fake.calls(), [])
  })

  it('first-start scripts run via jexec after jail -c; a failing one fails the start with the jail left running', async () => {
    await seedJail(host.config, {name: 'web1', firstboot: {'10-pkg': 'pkg install -y nginx\n'}})
    fake.set('jexec.fail.web1', 'pkg: No address record\n')
    const result = await tsez(['start', 'web1'], env)
    assert.equal(result.exitCode, 1)
    assert.deepEqual(fake.calls('jexec'), [['jexec', '-l', 'web1', '/bin/sh', '/var/db/tsez/firstboot/10-pkg']])
    assert.match(result.stdout, /first-start script 10-pkg failed \(exit 1\); jail web1 is left running for inspection/)
    assert.match(result.stderr, /pkg: No address record/)
    assert.deepEqual(
      fake.jails().map((j) => j.name),
      ['web1'],
    )
  })

  it('--dry-run prints the plan and changes nothing (no lock, no jail)', async () => {
    await seedJail(host.config, {name: 'web1'})
    const result = await tsez(['start', '-n', 'web1'], env)
    assert.equal(result.exitCode, 0, result.stderr)
    assert.equal(result.stdout, `web1: run jail -f ${conf('web1')} -c web1\n`)
    assert.deepEqual(fake.calls('jail'), [])
  })
})
