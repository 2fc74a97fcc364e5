import assert from 'node:assert/strict'
import {mkdtemp, readFile, readdir, rm, stat, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {hasHalfDoneInstall, pendingInstallPath, rollbackPath} from '../../src/base/update-state.js'
import {listTxz} from '../fixtures/release/listing.js'
import {tsez} from '../support/cli.js'
import {seedStateEntry} from '../support/update-state.js'
import {SPLIT_DIRS, immutablePaths, linkTarget, referenceInstall} from '../support/reference-install.js'
import {createTestHost, installArgs, RELEASE, type TestHost} from '../support/test-host.js'
import {diffTrees, removeTree, snapshotTree} from '../support/tree.js'

const rootOnly = process.getuid?.() === 0

describe('tsez install', function () {
  let host: TestHost
  beforeEach(async () => (host = await createTestHost()))
  afterEach(() => host.cleanup())

  it('builds basejail and newjail from the HTTP mirror exactly as SPEC §4 says', async () => {
    const {exitCode, stdout, stderr} = await tsez(installArgs(host), host.env)
    assert.equal(exitCode, 0, stderr)
    assert.match(stdout, /^installed 14\.3-RELEASE/m)
    const {basejail, newjail} = host.dirs
    for (const dir of SPLIT_DIRS) {
      assert.equal(await linkTarget(path.join(newjail, dir)), `/basejail/${dir}`, dir)
    }
    assert.equal(await linkTarget(path.join(newjail, 'usr/ports')), '/basejail/usr/ports')
    assert.deepEqual(await readdir(path.join(newjail, 'basejail')), [], 'empty basejail mount point')
    for (const dir of ['bin', 'lib', 'usr/bin', 'usr/lib32', 'usr/share', 'usr/src']) {
      assert.ok((await stat(path.join(basejail, dir))).isDirectory(), `${dir} in the basejail`)
    }
    assert.ok((await stat(path.join(newjail, 'etc/rc'))).isFile(), 'etc stays in the newjail')
    const record = JSON.parse(await readFile(path.join(host.dirs.dbdir, 'release.json'), 'utf8')) as Record<
      string,
      unknown
    >
    assert.equal(record.release, RELEASE)
    assert.equal(record.machine, 'amd64')
    assert.deepEqual(
      (record.sets as Array<{name: string; sha256: string}>).map((s) => [s.name, s.sha256]),
      [
        ['base', host.release.sets.base!.sha256],
        ['lib32', host.release.sets.lib32!.sha256],
      ],
    )
    assert.deepEqual((await readdir(host.dirs.flavours)).sort(), ['default', 'example', 'webserver'])
    assert.ok(
      (await stat(path.join(host.dirs.flavours, 'webserver/tsez.flavour'))).mode & 0o100,
      'flavour scripts stay executable',
    )
    assert.equal((await stat(host.dirs.jaildir)).mode & 0o777, 0o700)
    assert.deepEqual((await readdir(host.dirs.jaildir)).sort(), ['basejail', 'flavours', 'newjail'], 'no staging left')
  })

  it('installs the same from a file:// mirror, and with -s the src set too', async () => {
    const {exitCode, stderr} = await tsez(
      ['install', '-r', RELEASE, '-a', 'amd64/amd64', '-h', `file://${host.releaseDir}`, '-s'],
      host.env,
    )
    assert.equal(exitCode, 0, stderr)
    assert.ok((await stat(path.join(host.dirs.basejail, 'usr/src/Makefile'))).isFile())
    assert.deepEqual(
      await readdir(host.dirs.cachedir).catch(() => []),
      [],
      'a local mirror is read in place, not cached',
    )
  })

  it('is faithful: entry by entry equal to bsdtar -xpf plus the ezjail mv split; chflags gets exactly the flagged paths', async function () {
    if (!rootOnly) this.skip() // owners, setuid bits and the immutable-attribute oracle need root
    const {exitCode, stderr} = await tsez(installArgs(host), host.env)
    assert.equal(exitCode, 0, stderr)
    const reference = await mkdtemp(path.join(tmpdir(), 'tsez-reference-'))
    try {
      const ref = await referenceInstall(host.releaseDir, ['base', 'lib32'], reference)
      const splitEdited = ['.', 'usr', 'basejail', 'usr/ports', ...SPLIT_DIRS]
      // Directories both base and lib32 hold get new entries from lib32: their mtime is the moment of extraction,
      // with bsdtar as with tsez, so the two can only differ by when they ran.
      const dirsOf = async (set: string) =>
        (await listTxz(path.join(host.releaseDir, `${set}.txz`)))
          .filter((e) => e.type === 'Directory')
          .map((e) => e.path.replace(/^\.\/|\/$/g, ''))
      const base = new Set(await dirsOf('base'))
      const shared = (await dirsOf('lib32')).filter((dir) => base.has(dir))
      const baseDiff = diffTrees(await snapshotTree(ref.basejail), await snapshotTree(host.dirs.basejail), {
        ignoreMtimeOf: ['.', 'usr', ...shared],
      })
      const newDiff = diffTrees(await snapshotTree(ref.newjail), await snapshotTree(host.dirs.newjail), {
        ignoreMtimeOf: splitEdited,
      })
      assert.deepEqual([...baseDiff, ...newDiff], [])
      const snapshot = await snapshotTree(host.dirs.basejail)
      assert.ok(snapshot.size > 300, `a realistic tree (${snapshot.size} entries)`)

      const flagged = [...(await immutablePaths(ref.basejail)), ...(await immutablePaths(ref.newjail))].sort()
      const calls = host.fake
        .calls('chflags')
        .map((row) => row.slice(1))
        .filter((argv) => argv[0] === '-h')
      assert.ok(calls.length >= 1 && calls.length <= 3, `batched: ${calls.length} chflags calls`)
      const staged = path.join(host.dirs.jaildir, '.tsez-staging/full')
      const applied = calls.flatMap((argv) => argv.slice(2).map((p) => path.relative(staged, p))).sort()
      assert.ok(calls.every((argv) => argv[1] === 'schg'))
      assert.deepEqual(applied, flagged)
      assert.ok(flagged.includes('lib/libc.so.7') && flagged.includes('var/empty') && flagged.includes('usr/bin/su'))
    } finally {
      await removeTree(reference)
    }
  })

  it('reports progress per set on stderr, and only the result on stdout under --json', async () => {
    const human = await tsez(installArgs(host), host.env)
    assert.match(human.stderr, /base\.txz: [\d.]+ MB from .*sha256 verified, \d+ entries extracted/)
    assert.match(human.stderr, /lib32\.txz: [\d.]+ MB from .*sha256 verified, \d+ entries extracted/)

    const json = await tsez([...installArgs(host), '--force', '--json'], host.env)
    assert.equal(json.exitCode, 0, json.stderr)
    assert.equal(json.stderr, '')
    const result = JSON.parse(json.stdout) as {
      release: string
      sets: Array<{name: string; sha256: string; entries: number; cached: boolean}>
      paths: {basejail: string}
    }
    assert.equal(result.release, RELEASE)
    assert.deepEqual(
      result.sets.map((s) => [s.name, s.sha256, s.entries, s.cached]),
      [
        ['base', host.release.sets.base!.sha256, host.release.sets.base!.entries, true],
        ['lib32', host.release.sets.lib32!.sha256, host.release.sets.lib32!.entries, true],
      ],
    )
    assert.equal(result.paths.basejail, host.dirs.basejail)
    // A dry run tells the truth about the cache too: both sets would be taken from it.
    const plan = await tsez([...installArgs(host), '--force', '--json', '-n'], host.env)
    const planned = JSON.parse(plan.stdout) as {sets: Array<{name: string; cached: boolean}>}
    assert.deepEqual(
      planned.sets.map((s) => [s.name, s.cached]),
      [
        ['base', true],
        ['lib32', true],
      ],
    )
  })

  it('a second install of the same release downloads nothing', async () => {
    assert.equal((await tsez(installArgs(host), host.env)).exitCode, 0)
    assert.ok(host.server.requests.some((r) => r.endsWith('/base.txz')))
    host.server.requests.length = 0
    const again = await tsez(installArgs(host, '--force'), host.env)
    assert.equal(again.exitCode, 0, again.stderr)
    assert.deepEqual(host.server.requests, [])
  })

  it('runs freebsd-update on the staging tree with the exact argv (echoed by -v), unless --no-patch', async () => {
    const verbose = await tsez(installArgs(host, '-v'), host.env)
    assert.equal(verbose.exitCode, 0, verbose.stderr)
    assert.match(verbose.stderr, /^\+ PAGER=cat freebsd-update -b \S+\/\.tsez-staging\/full .* fetch$/m)
    assert.match(verbose.stderr, /^\+ chflags -h schg \S+lib\/libc\.so\.7 /m)
    const staged = path.join(host.dirs.jaildir, '.tsez-staging/full')
    const common = [
      '-b',
      staged,
      '-d',
      path.join(host.dirs.dbdir, 'freebsd-update'),
      '-f',
      path.join(host.dirs.dbdir, 'freebsd-update.conf'),
      '--currently-running',
      RELEASE,
      '--not-running-from-cron',
    ]
    const calls = host.fake.calls('freebsd-update').map((row) => row.slice(1))
    assert.deepEqual(calls[0], [...common, 'fetch'])
    assert.ok(
      calls.length >= 2 &&
        calls.slice(1).every((argv) => JSON.stringify(argv) === JSON.stringify([...common, 'install'])),
    )
    const conf = await readFile(path.join(host.dirs.dbdir, 'freebsd-update.conf'), 'utf8')
    assert.match(conf, /^Components world$/m)
    // What freebsd-update filed under the staging path (its rollback) cannot serve the basejail: not kept.
    assert.deepEqual(await readdir(path.join(host.dirs.dbdir, 'freebsd-update')), [])

    await rm(path.join(host.fake.stateDir, 'calls.log'), {force: true})
    assert.equal((await tsez(installArgs(host, '--force', '--no-patch'), host.env)).exitCode, 0)
    assert.deepEqual(host.fake.calls('freebsd-update'), [])
  })

  it("--force forgets freebsd-update's state and the update note for the basejail it replaces", async () => {
    assert.equal((await tsez(installArgs(host, '--no-patch'), host.env)).exitCode, 0)
    const workdir = path.join(host.dirs.dbdir, 'freebsd-update')
    const basejail = path.join(host.dirs.jaildir, 'basejail')
    await seedStateEntry(workdir, pendingInstallPath(workdir, basejail), 'install.half', ['kerneldone'])
    await seedStateEntry(workdir, rollbackPath(workdir, basejail), 'install.old')
    await writeFile(path.join(host.dirs.dbdir, 'update-pending.json'), '{"action":"patch","targetRelease":null}')

    const again = await tsez(installArgs(host, '--force', '--no-patch'), host.env)
    assert.equal(again.exitCode, 0, again.stderr)
    assert.deepEqual(await readdir(workdir), [], 'a half-done install or a rollback would act on the new tree')
    assert.equal(await hasHalfDoneInstall(workdir, basejail), false)
    await assert.rejects(stat(path.join(host.dirs.dbdir, 'update-pending.json')), {code: 'ENOENT'})
  })

  it('--dry-run prints the plan and changes nothing', async () => {
    const before = await snapshotTree(host.root)
    const {exitCode, stdout} = await tsez([...installArgs(host), '--dry-run'], host.env)
    assert.equal(exitCode, 0)
    assert.match(
      stdout,
      /fetch http:\/\/127\.0\.0\.1:\d+\/releases\/amd64\/amd64\/14\.3-RELEASE\/base\.txz \(sha256 [0-9a-f]{64}/,
    )
    assert.match(stdout, /run PAGER=cat freebsd-update -b .* fetch/)
    assert.match(stdout, /rename .*\.tsez-staging\/basejail -> .*\/basejail/)
    assert.deepEqual(diffTrees(before, await snapshotTree(host.root)), [])
  })
})
