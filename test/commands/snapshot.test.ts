import assert from 'node:assert/strict'
import {appendFile, readFile, rm, writeFile} from 'node:fs/promises'
import path from 'node:path'

import type {RollbackResult, SnapshotResult, SnapshotsResult} from '../../src/snapshot/service.js'
import {tsez, tsezOk} from '../support/cli.js'
import {createInstalledHost, type InstalledHost} from '../support/installed-host.js'
import {diffTrees, snapshotTree} from '../support/tree.js'

const isRoot = process.getuid?.() === 0

describe('tsez snapshot, snapshots, rollback', () => {
  let host: InstalledHost
  let root: string
  before(async function () {
    if (!isRoot) this.skip()
    this.timeout(120_000)
    host = await createInstalledHost()
    await ok(['create', 'web1', '10.0.9.1'])
    await ok(['create', 'plain', '10.0.9.2'])
    root = path.join(host.dirs.jaildir, 'web1')
  })
  after(async () => host?.cleanup())

  const ok = (args: string[]) => tsezOk(args, host.env)
  const refused = async (args: string[], pattern: RegExp) => {
    const result = await tsez(args, host.env)
    assert.equal(result.exitCode, 2, `${args.join(' ')}: ${result.stdout}${result.stderr}`)
    assert.match(result.stderr, /^tsez: [^\n]*\n$/)
    assert.match(result.stderr, pattern)
    return result
  }
  const zfsCalls = () => host.fake.calls('zfs').map((argv) => argv.slice(1).join(' '))
  const changing = () => zfsCalls().filter((call) => !/^(list|get) /.test(call))

  it('off ZFS: every command says how to enable it (exit 2), nothing run', async function () {
    this.timeout(30_000)
    for (const args of [
      ['snapshot', 'web1'],
      ['snapshots', 'web1'],
      ['rollback', 'web1', 'x'],
    ]) {
      await refused(args, /tsez is not using ZFS: set tsez_use_zfs="YES" and tsez_zfs_parent=/)
    }
    assert.deepEqual(zfsCalls(), [])
  })

  it('on ZFS: snapshot (named from the clock or given), snapshots (--json), rollback', async function () {
    this.timeout(60_000)
    await appendFile(host.configFile, 'tsez_use_zfs="YES"\ntsez_zfs_parent="zroot/tsez"\n')
    host.fake.set('zfs.datasets', `zroot\t-\nzroot/tsez\t-\nzroot/tsez/web1\t${root}\n`)
    await refused(['snapshot', 'plain'], /jail plain has no ZFS dataset of its own/)
    await refused(['snapshot', 'nope'], /no jail named "nope"/)

    const first = JSON.parse((await ok(['snapshot', '--json', 'web1'])).stdout) as SnapshotResult
    assert.match(first.snapshot, /^zroot\/tsez\/web1@tsez-\d{8}T\d{6}Z$/)
    assert.deepEqual(changing(), [`snapshot ${first.snapshot}`])
    const before = await snapshotTree(root)
    await writeFile(path.join(root, 'etc/motd.template'), 'after the first snapshot\n')
    await rm(path.join(root, 'etc/dumpdates'))
    await ok(['snapshot', 'web1', 'second'])
    await refused(['snapshot', 'web1', 'second'], /has a snapshot second already/)
    for (const bad of ['-r', 'a/b', 'a@b', 'a b', 'esc\u001b[31m', '']) {
      await refused(['snapshot', 'web1', '--', bad], /snapshot name/)
    }
    const dry = await ok(['snapshot', '-n', 'web1', 'third'])
    assert.equal(dry.stdout, 'zfs snapshot zroot/tsez/web1@third\n')

    const listed = JSON.parse((await ok(['snapshots', '--json', 'web1'])).stdout) as SnapshotsResult
    assert.equal(listed.dataset, 'zroot/tsez/web1')
    assert.deepEqual(
      listed.snapshots.map((s) => s.name),
      [first.snapshot.split('@')[1], 'second'],
    )
    for (const s of listed.snapshots) {
      assert.match(s.created, /^\d{4}-\d\d-\d\dT/)
      assert.equal(typeof s.used, 'number')
    }
    assert.match((await ok(['snapshots', 'web1'])).stdout, /^NAME +CREATED +USED\ntsez-\d{8}T\d{6}Z +\d{4}-/)

    const name = first.snapshot.split('@')[1] ?? ''
    await refused(['rollback', 'web1', 'unknown'], /no snapshot "unknown"; its snapshots: tsez-\d+T\d+Z, second/)
    await refused(['rollback', 'web1', name], /destroys the later snapshots second; add --destroy-later/)
    assert.equal(await readFile(path.join(root, 'etc/motd.template'), 'utf8'), 'after the first snapshot\n')

    await ok(['start', 'web1'])
    await refused(
      ['rollback', '--destroy-later', 'web1', name],
      /jail web1 is running: stop it first .* or add --force/,
    )
    const planned = await ok(['rollback', '-n', '--force', '--destroy-later', 'web1', name])
    const conf = path.join(host.dirs.jailconf, 'web1.conf')
    const note = path.join(host.dirs.dbdir, 'rollback-web1.json')
    assert.equal(
      planned.stdout,
      `write ${note} (the restart still owed)\njail -f ${conf} -r web1\nzfs rollback -r ${first.snapshot}\n` +
        `jail -f ${conf} -c web1\nremove ${note}\n`,
    )
    const calls = zfsCalls().length
    const rolled = JSON.parse(
      (await ok(['rollback', '--json', '--force', '--destroy-later', 'web1', name])).stdout,
    ) as RollbackResult
    assert.deepEqual(rolled.destroyed, ['zroot/tsez/web1@second'])
    assert.equal(rolled.restarted, true)
    assert.deepEqual(
      zfsCalls()
        .slice(calls)
        .filter((call) => !/^(list|get) /.test(call)),
      [`rollback -r ${first.snapshot}`],
    )
    const jailCalls = host.fake
      .calls('jail')
      .slice(-2)
      .map((argv) => argv.slice(1).join(' '))
    assert.deepEqual(jailCalls, [`-f ${conf} -r web1`, `-f ${conf} -c web1`])
    assert.deepEqual(diffTrees(before, await snapshotTree(root), {ignoreMtimeOf: ['.', 'etc']}), [])
    assert.ok(
      host.fake.jails().some((jail) => jail.name === 'web1'),
      'running again',
    )
    await ok(['stop', 'web1'])
    await ok(['rollback', 'web1', name])
  })
})
