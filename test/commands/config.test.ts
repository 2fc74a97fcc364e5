import assert from 'node:assert/strict'
import {execFile} from 'node:child_process'
import {lstat, readFile, rm} from 'node:fs/promises'
import path from 'node:path'
import {promisify} from 'node:util'

import type {JailRecord} from '../../src/jail/store.js'
import {parseJailConf} from '../../src/jail/conf-parse.js'
import {tsez} from '../support/cli.js'
import {createInstalledHost, type InstalledHost} from '../support/installed-host.js'
import {diffTrees, snapshotTree} from '../support/tree.js'

const exec = promisify(execFile)
const isRoot = process.getuid?.() === 0
const exists = async (p: string) => (await lstat(p).catch(() => undefined)) !== undefined

describe('tsez config', () => {
  let host: InstalledHost
  beforeEach(async function () {
    if (!isRoot) this.skip()
    host = await createInstalledHost()
    for (const [name, ip] of [
      ['web1', '10.0.0.5'],
      ['db1', '10.0.0.6'],
    ]) {
      const created = await tsez(['create', name ?? '', ip ?? ''], host.env)
      assert.equal(created.exitCode, 0, created.stderr)
    }
  })
  afterEach(async () => host?.cleanup())

  const conf = async (name: string) => {
    const [jail] = parseJailConf(await readFile(path.join(host.dirs.jailconf, `${name}.conf`), 'utf8'))
    return jail?.params ?? new Map()
  }
  const record = async (name: string) =>
    JSON.parse(await readFile(path.join(host.dirs.confdir, `${name}.json`), 'utf8')) as JailRecord

  it('sets norun, addresses, hostname, dependencies and jail(8) parameters, and re-renders the conf', async () => {
    const args = ['config', 'web1', '--norun', '--ip', 'em0|10.0.0.50/24,fd00::50', '--hostname', 'web.example.org']
    const result = await tsez(
      [...args, '--depend', 'db1', '--param', 'allow.raw_sockets=1', '--param', 'securelevel=3'],
      host.env,
    )
    assert.equal(result.exitCode, 0, result.stderr)
    const params = await conf('web1')
    assert.deepEqual(params.get('ip4.addr'), ['em0|10.0.0.50/24'])
    assert.deepEqual(params.get('ip6.addr'), ['fd00::50'])
    assert.deepEqual(params.get('host.hostname'), ['web.example.org'])
    assert.equal(params.get('depend'), undefined, 'depend lives in the record: jail(8) refuses it across files')
    assert.equal(params.get('allow.raw_sockets'), true)
    assert.deepEqual(params.get('securelevel'), ['3'])
    const saved = await record('web1')
    assert.deepEqual(
      [saved.run, saved.depend, saved.params],
      [false, ['db1'], {'allow.raw_sockets': true, securelevel: 3}],
    )

    const unset = await tsez(['config', 'web1', '--unset', 'securelevel'], host.env)
    assert.equal(unset.exitCode, 0, unset.stderr)
    assert.equal((await conf('web1')).has('securelevel'), false)
  })

  it('asks jls for the jail object only with --json (its state); a plain config does without', async () => {
    const asked = () => host.fake.calls('jls').length
    let before = asked()
    assert.equal((await tsez(['config', 'web1', '--hostname', 'a.example.org'], host.env)).exitCode, 0)
    const plain = asked() - before
    before = asked()
    const json = await tsez(['config', '--json', 'web1', '--hostname', 'b.example.org'], host.env)
    assert.equal(json.exitCode, 0, json.stderr)
    assert.equal((JSON.parse(json.stdout) as {jail: {state: string}}).jail.state, 'stopped')
    assert.equal(asked() - before, plain + 1, '--json alone shows the state, from one more jls')
  })

  it('refuses bad values with exit 2 listing every problem, and changes nothing', async () => {
    const before = await snapshotTree(path.join(host.root, 'host'))
    const args = ['config', 'web1', '--ip', '10.0.0.300', '--depend', 'nosuch', '--param', 'allow.raw_sockets=maybe']
    const result = await tsez([...args, '--param', 'osrelease=14.0-RELEASE', '--depend', 'web1'], host.env)
    assert.equal(result.exitCode, 2)
    for (const rule of [/octet 300/, /--depend nosuch: no such jail/, /not a boolean/, /osrelease/, /itself/]) {
      assert.match(result.stderr, rule)
    }
    assert.equal((await tsez(['config', 'web1'], host.env)).exitCode, 2)
    assert.deepEqual(
      diffTrees(before, await snapshotTree(path.join(host.root, 'host')), {ignoreMtimeOf: ['var/db/tsez']}),
      [],
    )
  })

  it('--undepend drops a dependency; one not on the list is exit 2 naming it, nothing changed', async () => {
    const added = await tsez(['config', 'web1', '--depend', 'db1'], host.env)
    assert.equal(added.exitCode, 0, added.stderr)
    const before = await snapshotTree(path.join(host.root, 'host'))
    for (const args of [
      ['--undepend', 'web1'],
      ['--undepend', 'db1', '--undepend', 'ghost'],
      ['--undepend', 'db1', '--depend', 'db1'],
    ]) {
      const refused = await tsez(['config', 'web1', ...args], host.env)
      assert.equal(refused.exitCode, 2, `${args.join(' ')}: ${refused.stderr}`)
      const rule = args.includes('--depend') ? /--undepend "db1": also given to --depend/ : /does not depend on it/
      assert.match(refused.stderr, rule)
    }
    assert.match(
      (await tsez(['config', 'web1', '--undepend', 'ghost'], host.env)).stderr,
      /^tsez: --undepend "ghost": web1 does not depend on it\n$/,
    )
    assert.deepEqual(
      diffTrees(before, await snapshotTree(path.join(host.root, 'host')), {ignoreMtimeOf: ['var/db/tsez']}),
      [],
    )
    const dry = await tsez(['config', 'web1', '--undepend', 'db1', '-n'], host.env)
    assert.equal(dry.exitCode, 0, dry.stderr)
    assert.deepEqual((await record('web1')).depend, ['db1'])
    const dropped = await tsez(['config', 'web1', '--undepend', 'db1'], host.env)
    assert.equal(dropped.exitCode, 0, dropped.stderr)
    assert.deepEqual((await record('web1')).depend, [])
  })

  it('--rename refuses to move the root over the recorded root of another jail (exit 2, nothing changed)', async () => {
    // A jail whose root went missing keeps its place: moving web1's root to tsez_jaildir/nn would put it around it.
    const created = await tsez(['create', '-r', 'nn/sub', 'lost', '10.0.0.7'], host.env)
    assert.equal(created.exitCode, 0, created.stderr)
    await rm(path.join(host.dirs.jaildir, 'nn'), {recursive: true})
    const before = await snapshotTree(path.join(host.root, 'host'))
    const result = await tsez(['config', 'web1', '--rename', 'nn'], host.env)
    assert.equal(result.exitCode, 2, result.stderr)
    assert.match(result.stderr, /root directory .*\/nn contains jail lost's root .*\/nn\/sub/)
    assert.deepEqual(
      diffTrees(before, await snapshotTree(path.join(host.root, 'host')), {ignoreMtimeOf: ['var/db/tsez']}),
      [],
    )
  })

  it('refuses while the jail runs (exit 2)', async () => {
    await exec('jail', ['-f', path.join(host.dirs.jailconf, 'web1.conf'), '-c', 'web1'], {env: host.env})
    const result = await tsez(['config', 'web1', '--norun'], host.env)
    assert.equal(result.exitCode, 2)
    assert.match(result.stderr, /jail web1 is running; stop it first/)
  })

  it('--rename moves root, conf, fstab and record, and the depend lists of other jails', async () => {
    assert.equal((await tsez(['config', 'db1', '--depend', 'web1'], host.env)).exitCode, 0)
    const before = await snapshotTree(path.join(host.root, 'host'))
    const dry = await tsez(['config', 'web1', '--rename', 'www.example.com', '-n'], host.env)
    assert.equal(dry.exitCode, 0, dry.stderr)
    assert.match(dry.stdout, /^rename .*\/web1 -> .*\/www_example_com \(commit\)$/m)
    assert.deepEqual(diffTrees(before, await snapshotTree(path.join(host.root, 'host'))), [])

    const result = await tsez(['config', 'web1', '--rename', 'www.example.com'], host.env)
    assert.equal(result.exitCode, 0, result.stderr)
    const root = path.join(host.dirs.jaildir, 'www_example_com')
    assert.ok(await exists(path.join(root, 'etc')))
    assert.equal(await exists(path.join(host.dirs.jaildir, 'web1')), false)
    for (const old of ['web1.conf', '../fstab.web1'])
      assert.equal(await exists(path.join(host.dirs.jailconf, old)), false)
    assert.equal(await exists(path.join(host.dirs.confdir, 'web1.json')), false)
    const params = await conf('www_example_com')
    assert.deepEqual([params.get('path'), params.get('host.hostname')], [[root], ['www.example.com']])
    const fstab = await readFile(path.join(host.dirs.fstab, 'fstab.www_example_com'), 'utf8')
    assert.match(fstab, new RegExp(`\\t${root}/basejail\\tnullfs\\tro`))
    assert.deepEqual((await record('db1')).depend, ['www_example_com'])
    assert.equal((await conf('db1')).get('depend'), undefined)
  })
})
