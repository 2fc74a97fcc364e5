// tsez update end to end against the fake host: one base step whatever the number of jails, per-jail /etc merges.
import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import type {UpdateResult} from '../../src/update/service.js'
import {serveDirectory, type ServedDirectory} from '../fixtures/http-server.js'
import {generateRelease} from '../fixtures/release.js'

import {spawnTsez, tsez} from '../support/cli.js'
import {createUpdateSandbox, type UpdateSandbox} from '../support/update-jails.js'

describe('tsez update -u', () => {
  let box: UpdateSandbox
  afterEach(async () => box?.cleanup())

  for (const count of [1, 10, 100]) {
    it(`patches the basejail with one fetch and one install loop for ${count} jail(s)`, async () => {
      box = await createUpdateSandbox()
      await box.seedJails(count, {running: [1]})
      box.host.set('freebsd-update.patch', '14.3-RELEASE-p5')
      const before = await box.jailFilesDigest()
      const result = await tsez(['update', '-u'], box.env)
      assert.equal(result.exitCode, 0, result.stderr)
      const calls = box.host.calls('freebsd-update')
      const {basejail, dbdir} = box.config
      const prefix = [
        'freebsd-update',
        '-b',
        basejail,
        '-d',
        path.join(dbdir, 'freebsd-update'),
        '-f',
        path.join(dbdir, 'freebsd-update.conf'),
      ]
      const expected = [...prefix, '--currently-running', '14.3-RELEASE-p2', '--not-running-from-cron']
      assert.deepEqual(calls, [
        [...expected, 'fetch'],
        [...expected, 'install'],
        [...expected, 'install'],
      ])
      assert.match(box.host.read('freebsd-update.env.log') ?? '', /^PAGER=cat\t/)
      assert.equal(await box.baseVersion(), '14.3-RELEASE-p5')
      const record = JSON.parse(await readFile(path.join(dbdir, 'release.json'), 'utf8')) as Record<string, string>
      assert.equal(record.userland, '14.3-RELEASE-p5')
      assert.equal(record.release, '14.3-RELEASE')
      assert.equal(await box.jailFilesDigest(), before)
      assert.deepEqual(box.host.calls('etcupdate'), [])
      assert.match(result.stdout, /14\.3-RELEASE-p2 -> 14\.3-RELEASE-p5/)
      assert.match(result.stdout, /jail001: .*restart/)
      const list = await tsez(['list', '--json'], box.env)
      const listed = (JSON.parse(list.stdout) as {jails: Array<{release: string | null}>}).jails
      assert.deepEqual(new Set(listed.map((jail) => jail.release)), new Set(['14.3-RELEASE-p5']))
      assert.equal(listed.length, count)
    })
  }

  it('records the userland a killed run installed when the next fetch finds nothing to install', async () => {
    box = await createUpdateSandbox()
    await box.seedJails(1)
    // As a run SIGKILLed after its last install round leaves it: the basejail patched, release.json not.
    const version = path.join(box.config.basejail, 'bin/freebsd-version')
    await writeFile(version, (await readFile(version, 'utf8')).replace(/-p2"/, '-p5"'))
    box.host.set('freebsd-update.uptodate', '')
    const result = await tsez(['update', '-u'], box.env)
    assert.equal(result.exitCode, 0, result.stderr)
    const record = JSON.parse(await readFile(path.join(box.config.dbdir, 'release.json'), 'utf8')) as Record<string, string> // prettier-ignore
    assert.equal(record.userland, '14.3-RELEASE-p5')
  })

  it('exits 2 without exactly one action, or with flags of another action', async () => {
    box = await createUpdateSandbox()
    for (const args of [
      [],
      ['-u', '-U'],
      ['-u', '-r', '15.1-RELEASE'],
      ['-U'],
      ['-i', '-h', 'http://x'],
      ['-u', '-p', '0'],
    ]) {
      const result = await tsez(['update', ...args], box.env)
      assert.equal(result.exitCode, 2, `update ${args.join(' ')}: ${result.stderr}`)
    }
    assert.deepEqual(box.host.calls('freebsd-update'), [])
  })
})

describe('tsez update -U', function () {
  let box: UpdateSandbox
  let server: ServedDirectory
  let releases: string
  const target = '15.1-RELEASE'

  before(async () => {
    releases = await mkdtemp(path.join(tmpdir(), 'tsez-update-releases-'))
    for (const version of ['14.3-RELEASE', target]) {
      await generateRelease(path.join(releases, 'releases/amd64/amd64', version), {version, lib32: false, src: false})
    }
    server = await serveDirectory(releases)
  })
  after(async () => {
    await server?.close()
    await rm(releases, {recursive: true, force: true})
  })
  afterEach(async () => box?.cleanup())

  const sandbox = async (jails: number, running: number[] = []) => {
    box = await createUpdateSandbox({mirror: `${server.url}/releases/amd64/amd64/14.3-RELEASE/`})
    await box.seedJails(jails, {running})
    return box
  }
  const upgrade = (...extra: string[]) => tsez(['update', '-U', '-r', target, '-h', server.url, ...extra], box.env)
  const merges = () => box.host.calls('etcupdate').filter((call) => call[1] === '-D')

  it('upgrades the basejail once, bootstraps and merges every /etc, reports conflicts per jail', async () => {
    await sandbox(3, [2])
    box.host.set('etcupdate.conflicts.jail003', '/etc/rc.conf\n/etc/hosts\n')
    const result = await upgrade('--json')
    assert.equal(result.exitCode, 1, result.stderr)
    const report = JSON.parse(result.stdout) as UpdateResult
    assert.equal(report.versionBefore, '14.3-RELEASE-p2')
    assert.equal(report.versionAfter, target)
    assert.equal(await box.baseVersion(), target)
    const {dbdir, basejail, jaildir, newjail} = box.config
    const newTarball = path.join(dbdir, 'etcupdate', `etc-${target}.tbz`)
    const oldTarball = path.join(dbdir, 'etcupdate', 'etc-14.3-RELEASE.tbz')
    const calls = box.host.calls().filter(([program]) => program === 'etcupdate' || program === 'freebsd-update')
    const firstUpgrade = calls.findIndex((call) => call.includes('upgrade'))
    const extracts = calls.filter((call) => call[1] === 'extract')
    assert.equal(extracts.length, 4, 'three jails and the newjail are bootstrapped')
    assert.ok(calls.slice(0, firstUpgrade).every((call) => call[0] === 'etcupdate' && call[1] === 'extract'))
    for (const call of extracts)
      assert.deepEqual(
        call.slice(2).filter((a) => a !== call[3]),
        ['-D', '-t', oldTarball],
      )
    const upgrades = box.host.calls('freebsd-update')
    assert.equal(upgrades.filter((call) => call.includes('upgrade')).length, 1)
    const argv = (...command: string[]) => [
      'freebsd-update',
      ...['-b', basejail, '-d', path.join(dbdir, 'freebsd-update'), '-f', path.join(dbdir, 'freebsd-update.conf')],
      ...['--currently-running', '14.3-RELEASE-p2', '--not-running-from-cron', ...command],
    ]
    assert.deepEqual(upgrades[0], argv('-r', target, 'upgrade'))
    assert.deepEqual(upgrades.slice(1), [argv('install'), argv('install'), argv('install'), argv('install')])
    assert.deepEqual(
      merges()
        .map((call) => call.slice(1))
        .sort(),
      ['jail001', 'jail002', 'jail003', 'newjail']
        .map((name) => ['-D', name === 'newjail' ? newjail : path.join(jaildir, name), '-t', newTarball])
        .sort(),
    )
    assert.deepEqual(
      report.jails.map(({name, ok, conflicts, needsRestart}) => ({name, ok, conflicts, needsRestart})),
      [
        {name: 'jail001', ok: true, conflicts: [], needsRestart: false},
        {name: 'jail002', ok: true, conflicts: [], needsRestart: true},
        {name: 'jail003', ok: false, conflicts: ['/etc/rc.conf', '/etc/hosts'], needsRestart: false},
      ],
    )
    assert.equal(report.newjail?.ok, true)
    const record = JSON.parse(await readFile(path.join(dbdir, 'release.json'), 'utf8')) as Record<string, string>
    assert.deepEqual([record.release, record.userland], [target, target])
    const listing = execFileSync('tar', ['-tjf', newTarball], {encoding: 'utf8'}).split('\n')
    assert.ok(listing.includes('./etc/rc'))
    assert.ok(
      !listing.some((entry) => /^\.\/(bin|usr|lib)\//.test(entry) || entry === './etc/passwd' || entry.endsWith('.db')),
    )
  })

  it('changes nothing when the new base set cannot be fetched', async () => {
    await sandbox(2)
    const base = `/releases/amd64/amd64/${target}/base.txz`
    server.fault(base, {status: 404})
    try {
      const result = await upgrade()
      assert.equal(result.exitCode, 1)
      assert.match(result.stderr, /base\.txz failed: HTTP 404/)
      assert.deepEqual([box.host.calls('freebsd-update'), box.host.calls('etcupdate')], [[], []])
      assert.equal(await box.baseVersion(), '14.3-RELEASE-p2')
    } finally {
      server.fault(base, undefined)
    }
  })

  it('--restart restarts the running jails whose /etc merged cleanly, and only those', async () => {
    await sandbox(3, [1, 2])
    box.host.set('etcupdate.conflicts.jail002', '/etc/rc.conf\n')
    const result = await upgrade('--restart', '-p', '2')
    assert.equal(result.exitCode, 1)
    const restarts = box.host
      .calls('jail')
      .slice(2)
      .map((call) => `${call[3]} ${call[4]}`)
    assert.deepEqual(restarts, ['-r jail001', '-c jail001'])
    assert.match(result.stdout, /jail001: ok \(restarted\)/)
    assert.match(result.stdout, /jail002: failed: .*\(running: restart it to use the new base\)/)
  })

  it('waits for the host lock and fails naming its holder, running nothing', async () => {
    await sandbox(1)
    const holder = {pid: process.pid, command: 'install', since: '2026-11-28T00:00:00.000Z'}
    await writeFile(path.join(box.config.dbdir, 'lock'), JSON.stringify(holder) + '\n')
    const result = await upgrade()
    assert.equal(result.exitCode, 1)
    assert.match(result.stderr, /tsez install \(pid \d+, since .*\) holds the host lock/)
    assert.deepEqual(box.host.calls('freebsd-update'), [])
  })
})

describe('tsez update output streams', () => {
  let box: UpdateSandbox
  afterEach(async () => box?.cleanup())

  it('without a TTY each jail is reported once (on stdout, not again as progress), and stdout is pure JSON under --json', async () => {
    box = await createUpdateSandbox()
    await box.seedJails(3, {running: [1, 3]})
    const plain = await spawnTsez(['update', '-u', '--restart'], box.env).done
    assert.equal(plain.exitCode, 0, plain.stderr)
    for (const name of ['jail001', 'jail003']) {
      const said = (plain.stdout + plain.stderr).split('\n').filter((line) => line.includes(`${name}: ok`))
      assert.equal(said.length, 1, `${name}:\n${plain.stdout}\n--\n${plain.stderr}`)
      assert.match(said[0]!, /restarted/)
    }
    assert.match(plain.stderr, /^ {2}(\d+)\/\1 done$/m, 'a plain count of the jails done, not their results')
    assert.match(plain.stderr, /basejail: freebsd-update install done/)
    const restarts = box.host.calls('jail').map((call) => `${call[3]} ${call[4]}`)
    assert.deepEqual(restarts.slice(2).sort(), ['-c jail001', '-c jail003', '-r jail001', '-r jail003'])

    const json = await spawnTsez(['update', '-u', '--json'], box.env).done
    assert.equal(json.exitCode, 0, json.stderr)
    const report = JSON.parse(json.stdout) as UpdateResult
    assert.deepEqual(
      report.jails.map(({name, ok, conflicts, needsRestart}) => ({name, ok, conflicts, needsRestart})),
      ['jail001', 'jail002', 'jail003'].map((name) => ({
        name,
        ok: true,
        conflicts: [],
        needsRestart: name !== 'jail002',
      })),
    )
    assert.equal(json.stderr, '')
  })
})
