import assert from 'node:assert/strict'
import {execFile} from 'node:child_process'
import {lstat, mkdir, readFile, symlink, writeFile} from 'node:fs/promises'
import path from 'node:path'
import {promisify} from 'node:util'

import {spawnTsez, tsez} from '../support/cli.js'
import {createInstalledHost, type InstalledHost} from '../support/installed-host.js'
import {diffTrees, snapshotTree} from '../support/tree.js'

const exec = promisify(execFile)
const isRoot = process.getuid?.() === 0
const exists = async (p: string) => (await lstat(p).catch(() => undefined)) !== undefined

describe('tsez delete', () => {
  let host: InstalledHost
  beforeEach(async function () {
    if (!isRoot) this.skip()
    host = await createInstalledHost()
    const created = await tsez(['create', 'web1', '10.0.0.5'], host.env)
    assert.equal(created.exitCode, 0, created.stderr)
  })
  afterEach(async () => host?.cleanup())

  const root = () => path.join(host.dirs.jaildir, 'web1')
  const files = () => [
    path.join(host.dirs.jailconf, 'web1.conf'),
    path.join(host.dirs.fstab, 'fstab.web1'),
    path.join(host.dirs.confdir, 'web1.json'),
  ]
  const start = () => exec('jail', ['-f', files()[0] ?? '', '-c', 'web1'], {env: host.env})

  it('refuses a running jail; --force stops it with jail -f CONF -r NAME; the root stays without -w', async () => {
    await start()
    const refused = await tsez(['delete', 'web1'], host.env)
    assert.equal(refused.exitCode, 2)
    assert.match(refused.stderr, /jail web1 is running; .*--force/)
    for (const file of files()) assert.ok(await exists(file))

    const forced = await tsez(['delete', '--force', 'web1'], host.env)
    assert.equal(forced.exitCode, 0, forced.stderr)
    assert.deepEqual(host.fake.calls('jail').at(-1), ['jail', '-f', files()[0], '-r', 'web1'])
    assert.deepEqual(host.fake.jails(), [])
    for (const file of files()) assert.equal(await exists(file), false, file)
    assert.ok(await exists(path.join(root(), 'etc')))
  })

  it('-w needs --force without a terminal', async () => {
    const {done} = spawnTsez(['delete', '-w', 'web1'], host.env)
    const result = await done
    assert.equal(result.exitCode, 2)
    assert.match(result.stderr, /add --force/)
    assert.ok(await exists(root()))
  })

  it('-w never follows a symlink out of the root and clears schg first', async () => {
    const outside = path.join(host.root, 'outside')
    await mkdir(outside)
    await writeFile(path.join(outside, 'precious'), 'host data\n')
    await symlink(outside, path.join(root(), 'link-out'))
    await symlink(path.join(outside, 'precious'), path.join(root(), 'etc/precious'))
    const result = await tsez(['delete', '-w', '--force', 'web1'], host.env)
    assert.equal(result.exitCode, 0, result.stderr)
    assert.equal(await readFile(path.join(outside, 'precious'), 'utf8'), 'host data\n')
    assert.equal(await exists(root()), false)
    assert.deepEqual(host.fake.calls('chflags').at(-1), [
      'chflags',
      '-R',
      'noschg,nouchg,nosappnd,nouappnd,nosunlnk,nouunlnk',
      root(),
    ])
    for (const file of files()) assert.equal(await exists(file), false)
  })

  it('-w refuses while something is mounted under the root, and removes nothing (exit 2: nothing changed)', async () => {
    const outside = path.join(host.root, 'data')
    await mkdir(outside)
    await writeFile(path.join(outside, 'precious'), 'host data\n')
    await mkdir(path.join(root(), 'mnt/data'), {recursive: true})
    await exec('mount', ['-t', 'nullfs', outside, path.join(root(), 'mnt/data')], {env: host.env})
    const before = await snapshotTree(path.join(host.root, 'host'))
    const result = await tsez(['delete', '-w', '--force', 'web1'], host.env)
    assert.equal(result.exitCode, 2)
    assert.match(result.stderr, /mnt\/data mounted under .*web1; unmount first \(see mount -p\)$/m)
    assert.deepEqual(
      diffTrees(before, await snapshotTree(path.join(host.root, 'host')), {ignoreMtimeOf: ['var/db/tsez']}),
      [],
    )
    assert.deepEqual(host.fake.calls('chflags'), [])
  })

  it('--dry-run prints the plan and changes nothing', async () => {
    await start()
    const before = await snapshotTree(path.join(host.root, 'host'))
    const result = await tsez(['delete', '-n', '-w', '--force', 'web1'], host.env)
    assert.equal(result.exitCode, 0, result.stderr)
    assert.deepEqual(result.stdout.trim().split('\n'), [
      `run jail -f ${files()[0]} -r web1`,
      `run chflags -R noschg,nouchg,nosappnd,nouappnd,nosunlnk,nouunlnk ${root()}`,
      `remove ${root()} (every entry on its file system, symlinks not followed)`,
      `remove ${files()[1]}`,
      `remove ${files()[0]}`,
      `remove ${files()[2]}`,
    ])
    assert.deepEqual(diffTrees(before, await snapshotTree(path.join(host.root, 'host'))), [])
    assert.equal(host.fake.jails().length, 1)
  })

  it("drops the jail from other jails' depend lists (shown by --dry-run, said on stderr); they start without it", async () => {
    for (const args of [
      ['create', 'db1', '10.0.0.6'],
      ['config', 'web1', '--depend', 'db1'],
    ]) {
      const result = await tsez(args, host.env)
      assert.equal(result.exitCode, 0, result.stderr)
    }
    const webRecord = path.join(host.dirs.confdir, 'web1.json')
    const dbRecord = path.join(host.dirs.confdir, 'db1.json')
    const dry = await tsez(['delete', '-n', 'db1'], host.env)
    assert.deepEqual(dry.stdout.trim().split('\n').slice(-2), [
      `write ${webRecord} (web1 no longer depends on db1)`,
      `remove ${dbRecord}`,
    ])
    assert.deepEqual((JSON.parse(await readFile(webRecord, 'utf8')) as {depend: string[]}).depend, ['db1'])

    const result = await tsez(['delete', 'db1'], host.env)
    assert.equal(result.exitCode, 0, result.stderr)
    assert.match(result.stderr, /^web1 no longer depends on db1$/m)
    assert.deepEqual((JSON.parse(await readFile(webRecord, 'utf8')) as {depend: string[]}).depend, [])
    assert.equal(await exists(dbRecord), false)
    const start = await tsez(['start', 'web1'], host.env)
    assert.equal(start.exitCode, 0, start.stderr)
    assert.doesNotMatch(start.stderr, /db1/)
    assert.deepEqual(
      host.fake.jails().map((j) => j.name),
      ['web1'],
    )
  })

  it('removes a half-configured jail and refuses an unknown one', async () => {
    await writeFile(path.join(host.dirs.jailconf, 'half.conf'), '# Jail half, written by tsez: x\nhalf {\n}\n')
    const result = await tsez(['delete', 'half'], host.env)
    assert.equal(result.exitCode, 0, result.stderr)
    assert.equal(await exists(path.join(host.dirs.jailconf, 'half.conf')), false)
    const unknown = await tsez(['delete', 'nosuch'], host.env)
    assert.equal(unknown.exitCode, 2)
    assert.match(unknown.stderr, /no jail named "nosuch"/)
  })

  it('-w refuses while another jail has its root inside this one (a record from before roots were kept apart)', async () => {
    const made = await tsez(['create', 'inner', '10.0.0.9'], host.env)
    assert.equal(made.exitCode, 0, made.stderr)
    // What an older tsez accepted: inner's root moved under web1's, its record following it.
    const nested = path.join(root(), 'var', 'inner')
    await exec('mv', [path.join(host.dirs.jaildir, 'inner'), nested])
    const recordFile = path.join(host.dirs.confdir, 'inner.json')
    const saved = JSON.parse(await readFile(recordFile, 'utf8')) as {root: string}
    await writeFile(recordFile, JSON.stringify({...saved, root: nested}))
    const before = await snapshotTree(host.root)
    const refused = await tsez(['delete', '-w', '--force', 'web1'], host.env)
    assert.equal(refused.exitCode, 2)
    assert.match(refused.stderr, /^tsez: delete -w would remove the root of jail inner \(.*var\/inner\)/)
    // The host lock comes and goes in var/db/tsez: its mtime moves, nothing else may.
    const lockDir = ['host/var/db/tsez']
    assert.deepEqual(diffTrees(before, await snapshotTree(host.root), {ignoreMtimeOf: lockDir}), [])
  })
})
