// runJails (start, stop, restart) against the fake host's jail, jls, jexec and mount, through the real runner.
import assert from 'node:assert/strict'
import {readdir} from 'node:fs/promises'
import path from 'node:path'

import {FIRSTBOOT_DIR} from '../../src/jail/store.js'
import {runJails, type RunCommand, type RunRequest} from '../../src/run/service.js'
import {seedHost, seedJail, type SeededHost} from '../support/seed-jails.js'
import {createFakeHost, type FakeHost} from '../fixtures/fake-host.js'
import {quietDeps} from '../support/deps.js'
import {fakeHostRunner} from '../support/fake-host-runner.js'

const request = (names: string[] = [], extra: Partial<RunRequest> = {}): RunRequest => ({
  names,
  all: false,
  parallel: 1,
  dryRun: false,
  lockWaitMs: 0,
  ...extra,
})

describe('run/service', () => {
  let host: SeededHost
  beforeEach(async () => {
    host = await seedHost()
  })
  const fakes: FakeHost[] = []
  afterEach(async () => {
    await Promise.all(fakes.splice(0).map((fake) => fake.cleanup()))
    await host.cleanup()
  })

  const conf = (name: string) => path.join(host.config.jailconfDir, `${name}.conf`)
  const run = (fake: ReturnType<typeof fakeHostRunner>, command: RunCommand, req: RunRequest) =>
    runJails(host.config, command, req, quietDeps({run: fake.runner}))

  /**
   * A fresh fake host (test/fixtures/bin) with RUNNING jails started by its jail -c and MOUNTS left behind by its
   * mount; KNOBS written to its state directory. Its call record starts after that.
   */
  const fakeJails = async (given: {running?: string[]; mounts?: string[]; knobs?: Record<string, string>} = {}) => {
    const fakeHost = await createFakeHost()
    fakes.push(fakeHost)
    const fake = fakeHostRunner(fakeHost)
    for (const name of given.running ?? []) await fake.runner.run('jail', ['-f', conf(name), '-c', name])
    for (const point of given.mounts ?? [])
      await fake.runner.run('mount', ['-t', 'nullfs', host.config.basejail, point])
    for (const [file, text] of Object.entries(given.knobs ?? {})) fakeHost.set(file, text)
    fake.calls.splice(0)
    return fake
  }

  it('starts dependencies first (one jls, one mount -p), then the jail, with the exact argv', async () => {
    await seedJail(host.config, {name: 'db1'})
    await seedJail(host.config, {name: 'web1', depend: ['db1']})
    const fake = await fakeJails()
    const result = await run(fake, 'start', request(['web1']))
    assert.equal(result.ok, true)
    assert.deepEqual(fake.lines(), [
      'jls -v --libxo json',
      'mount -p',
      `jail -f ${conf('db1')} -c db1`,
      `jail -f ${conf('web1')} -c web1`,
    ])
    assert.deepEqual(
      result.jails.map((j) => [j.name, j.action, j.ok, j.noop, j.message]),
      [
        ['db1', 'start', true, false, 'started'],
        ['web1', 'start', true, false, 'started'],
      ],
    )
    assert.ok(
      fake.calls.filter((c) => c.file === 'jail').every((c) => !c.options.inherit),
      'no terminal passed: the runner gives jail(8) /dev/null as stdin',
    )
  })

  it('is idempotent: running jails are a no-op from the single jls call', async () => {
    await seedJail(host.config, {name: 'db1'})
    const fake = await fakeJails({running: ['db1']})
    const result = await run(fake, 'start', request(['db1']))
    assert.deepEqual(fake.lines(), ['jls -v --libxo json'])
    assert.deepEqual(result.jails[0], {
      name: 'db1',
      action: 'start',
      ok: true,
      message: 'already running',
      noop: true,
      skipped: false,
      error: null,
      output: null,
      durationMs: 0,
      firstboot: [],
    })
    const stopped = await run(await fakeJails(), 'stop', request(['db1']))
    assert.equal(stopped.jails[0]?.message, 'already stopped')
    assert.equal(stopped.jails[0]?.noop, true)
  })

  it('without names acts on jails marked run; --all adds norun ones', async () => {
    await seedJail(host.config, {name: 'a'})
    await seedJail(host.config, {name: 'b', run: false})
    const plain = await run(await fakeJails(), 'start', request())
    assert.deepEqual(
      plain.jails.map((j) => j.name),
      ['a'],
    )
    const all = await run(await fakeJails(), 'start', request([], {all: true}))
    assert.deepEqual(
      all.jails.map((j) => j.name),
      ['a', 'b'],
    )
  })

  it('refuses a cycle before running anything (exit 2), and an unknown name', async () => {
    await seedJail(host.config, {name: 'a', depend: ['b']})
    await seedJail(host.config, {name: 'b', depend: ['a']})
    const fake = await fakeJails()
    await assert.rejects(run(fake, 'start', request(['a'])), (error: Error & {exitCode?: number}) => {
      assert.equal(error.exitCode, 2)
      assert.match(error.message, /dependency cycle a -> b -> a/)
      return true
    })
    assert.deepEqual(fake.calls, [])
    await assert.rejects(run(fake, 'start', request(['nope'])), /no jail named nope/)
  })

  it('a failing jail does not stop the others; its dependents are skipped without running', async () => {
    await seedJail(host.config, {name: 'db1'})
    await seedJail(host.config, {name: 'web1', depend: ['db1']})
    await seedJail(host.config, {name: 'other'})
    const fake = await fakeJails({
      knobs: {'jail.stdout.db1': 'jail output line\n', 'jail.fail.db1': 'jail: db1: mount.fstab: failed\n'},
    })
    const result = await run(fake, 'start', request([], {parallel: 4}))
    assert.equal(result.ok, false)
    const byName = new Map(result.jails.map((j) => [j.name, j]))
    assert.equal(byName.get('db1')?.ok, false)
    assert.match(byName.get('db1')?.error ?? '', /jail -f .*db1\.conf -c db1 failed \(exit 1\): jail: db1: mount.fstab/)
    assert.equal(byName.get('db1')?.output, 'jail output line\njail: db1: mount.fstab: failed')
    assert.equal(byName.get('web1')?.skipped, true)
    assert.match(byName.get('web1')?.error ?? '', /depends on db1/)
    assert.equal(byName.get('other')?.ok, true)
    assert.deepEqual(
      fake
        .lines('jail')
        .map((l) => l.split(' ').at(-1))
        .sort(),
      ['db1', 'other'],
    )
  })

  it('refuses a jail whose basejail mount point is already mounted, and one without an installed basejail', async () => {
    const web = await seedJail(host.config, {name: 'web1'})
    await seedJail(host.config, {name: 'web2'})
    const fake = await fakeJails({mounts: [`${web.root}/basejail`]})
    const result = await run(fake, 'start', request())
    assert.match(result.jails[0]?.error ?? '', /basejail is already mounted although the jail is stopped/)
    assert.equal(result.jails[1]?.ok, true)
    assert.deepEqual(fake.lines('jail'), [`jail -f ${conf('web2')} -c web2`])

    const {rm} = await import('node:fs/promises')
    await rm(path.join(host.config.basejail, 'bin', 'freebsd-version'))
    const bare = await run(await fakeJails(), 'start', request(['web1']))
    assert.match(bare.jails[0]?.error ?? '', /no basejail is installed at .*: run `tsez install` first/)
  })

  it('-p N runs up to N creations at once', async () => {
    for (let i = 0; i < 12; i++) await seedJail(host.config, {name: `j${i}`})
    const fake = await fakeJails({knobs: {'jail.sleep': '0.02'}})
    const result = await run(fake, 'start', request([], {parallel: 4}))
    assert.equal(result.jails.length, 12)
    assert.equal(fake.peakParallel(), 4)
  })

  it('runs first-start scripts in order inside the jail and removes each after success', async () => {
    const web = await seedJail(host.config, {
      name: 'web1',
      firstboot: {'20-second': 'echo two\n', '10-first': 'echo one\n'},
    })
    const fake = await fakeJails()
    const result = await run(fake, 'start', request(['web1']))
    assert.equal(result.ok, true)
    assert.deepEqual(fake.lines('jexec'), [
      'jexec -l web1 /bin/sh /var/db/tsez/firstboot/10-first',
      'jexec -l web1 /bin/rm -f -- /var/db/tsez/firstboot/10-first',
      'jexec -l web1 /bin/sh /var/db/tsez/firstboot/20-second',
      'jexec -l web1 /bin/rm -f -- /var/db/tsez/firstboot/20-second',
    ])
    assert.deepEqual(result.jails[0]?.firstboot, ['10-first', '20-second'])
    assert.deepEqual(await readdir(path.join(web.root, FIRSTBOOT_DIR)), [])
  })

  it('a failing first-start script fails the start, keeps the jail running and the script for a retry', async () => {
    const web = await seedJail(host.config, {
      name: 'web1',
      firstboot: {'10-a': 'true\n', '20-b': 'false\n', '30-c': ''},
    })
    const fake = await fakeJails({knobs: {'jexec.exit.20-b': '3', 'jexec.stdout.20-b': 'pkg: no network\n'}})
    const result = await run(fake, 'start', request(['web1']))
    const jail = result.jails[0]
    assert.equal(jail?.ok, false)
    assert.match(jail?.error ?? '', /first-start script 20-b failed \(exit 3\); jail web1 is left running/)
    assert.equal(jail?.output, 'pkg: no network')
    assert.ok(fake.host.jails().some((jail) => jail.name === 'web1'))
    assert.deepEqual(await readdir(path.join(web.root, FIRSTBOOT_DIR)), ['20-b', '30-c'])
  })

  it('stops dependents first and restarts stop-then-start', async () => {
    await seedJail(host.config, {name: 'db1'})
    await seedJail(host.config, {name: 'web1', depend: ['db1']})
    const fake = await fakeJails({running: ['db1', 'web1']})
    const result = await run(fake, 'restart', request(['db1']))
    assert.equal(result.ok, true)
    assert.deepEqual(fake.lines('jail'), [
      `jail -f ${conf('web1')} -r web1`,
      `jail -f ${conf('db1')} -r db1`,
      `jail -f ${conf('db1')} -c db1`,
      `jail -f ${conf('web1')} -c web1`,
    ])
    assert.deepEqual(
      result.jails.map((j) => [j.name, j.action, j.message]),
      [
        ['web1', 'restart', 'restarted'],
        ['db1', 'restart', 'restarted'],
      ],
    )
  })

  it('--dry-run prints the plan and runs nothing but the observations', async () => {
    await seedJail(host.config, {name: 'db1', firstboot: {'10-x': ''}})
    await seedJail(host.config, {name: 'web1', depend: ['db1']})
    const fake = await fakeJails()
    const result = await run(fake, 'start', request(['web1'], {dryRun: true}))
    assert.deepEqual(result.plan, [
      `db1: run jail -f ${conf('db1')} -c db1`,
      'db1: run jexec -l db1 /bin/sh /var/db/tsez/firstboot/10-x',
      'db1: run jexec -l db1 /bin/rm -f -- /var/db/tsez/firstboot/10-x',
      `web1: run jail -f ${conf('web1')} -c web1 (after db1)`,
    ])
    assert.deepEqual(fake.lines(), ['jls -v --libxo json', 'mount -p'])
  })

  it('--dry-run restart plans the stop, then the start as if the stop had unmounted the jail', async () => {
    const web = await seedJail(host.config, {name: 'web1'})
    const fake = await fakeJails({running: ['web1'], mounts: [`${web.root}/basejail`]})
    const result = await run(fake, 'restart', request(['web1'], {dryRun: true}))
    assert.deepEqual(result.plan, [
      `web1: run jail -f ${conf('web1')} -r web1`,
      `web1: run jail -f ${conf('web1')} -c web1`,
    ])
    assert.deepEqual(fake.lines('jail'), [])
  })
})
