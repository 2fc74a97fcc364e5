// tsez install --pkgbase end to end on the fake host: tsez's own repo config, pkg's argv, the split, the refusals.
import assert from 'node:assert/strict'
import {mkdir, mkdtemp, readFile, readdir, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {readUserlandVersion} from '../../src/base/freebsd-update.js'
import {spawnTsez, tsez} from '../support/cli.js'
import {configurePkgbase, createPkgbaseRepo, type PkgbaseRepoFixture} from '../support/pkgbase-repo.js'
import {referenceInstall} from '../support/reference-install.js'
import {RELEASE, createTestHost, type TestHost} from '../support/test-host.js'
import {diffTrees, removeTree, snapshotTree, type Snapshot} from '../support/tree.js'

const rootOnly = process.getuid?.() === 0
const pkgArgs = (...extra: string[]) => ['install', '--pkgbase', '-r', RELEASE, '-a', 'amd64/amd64', ...extra]

describe('tsez install --pkgbase', function () {
  this.timeout(300_000)
  let host: TestHost
  let repo: PkgbaseRepoFixture
  beforeEach(async () => {
    host = await createTestHost()
    repo = await createPkgbaseRepo(path.join(host.root, 'pkgrepo'), RELEASE, path.join(host.releaseDir, 'base.txz'))
    await configurePkgbase(host.configFile, repo)
  })
  afterEach(() => host.cleanup())

  const hostTree = () => snapshotTree(host.root, {exclude: (rel) => rel.startsWith('pkg')})
  /** What a refused or failed run may touch: the mtimes of the directories it made and removed staging in. */
  const unchanged = async (before: Snapshot) => {
    const rel = (dir: string) => path.relative(host.root, dir)
    const confDir = path.join(host.dirs.dbdir, 'pkgbase/repos')
    const touched = [host.dirs.jaildir, host.dirs.dbdir, confDir, path.join(confDir, 'FreeBSD-base.conf')].map(rel)
    assert.deepEqual(diffTrees(before, await hostTree(), {ignoreMtimeOf: touched}), [])
  }

  it('installs FreeBSD-set-minimal-jail with pkg from its own repo config and splits it as a distribution-set install', async function () {
    if (!rootOnly) this.skip() // owners and setuid bits of the reference need root
    const {exitCode, stderr} = await tsez(pkgArgs(), host.env)
    assert.equal(exitCode, 0, stderr)

    const staging = path.join(host.dirs.jaildir, '.tsez-staging/full')
    const confDir = path.join(host.dirs.dbdir, 'pkgbase/repos')
    const options = ['-o', 'ABI=FreeBSD:14:amd64', '-o', 'IGNORE_OSVERSION=yes', '-o', 'OSVERSION=1403000']
    const common = ['--rootdir', staging, '--repo-conf-dir', confDir, ...options, '-o', 'VERSION_MINOR=3']
    const calls = host.fake.calls('pkg').map((row) => row.slice(1))
    assert.deepEqual(calls, [
      [...common, '-o', 'ASSUME_ALWAYS_YES=yes', 'update', '-f', '-r', 'FreeBSD-base'],
      [...common, '-o', 'ASSUME_ALWAYS_YES=yes', 'install', '-r', 'FreeBSD-base', 'FreeBSD-set-minimal-jail'],
    ])
    assert.deepEqual(host.fake.calls('freebsd-update'), [], 'no freebsd-update on a pkgbase install')
    const conf = await readFile(path.join(confDir, 'FreeBSD-base.conf'), 'utf8')
    assert.match(conf, new RegExp(`url: "${repo.mirror}/FreeBSD:14:amd64/base_release_3"`))
    assert.match(conf, /signature_type: "fingerprints"/)
    assert.match(conf, new RegExp(`fingerprints: "${repo.fingerprints}"`))
    assert.match(host.fake.read('pkg.repos.log') ?? '', /FreeBSD-base: \{/)

    const reference = await mkdtemp(path.join(tmpdir(), 'tsez-reference-'))
    try {
      const ref = await referenceInstall(host.releaseDir, ['base'], reference)
      const pkgDb = (rel: string) => rel === 'var' || rel.startsWith('var/db') // the base's package database
      const baseDiff = diffTrees(
        await snapshotTree(ref.basejail),
        await snapshotTree(host.dirs.basejail, {exclude: pkgDb}),
        {ignoreMtimeOf: ['.', 'usr']},
      )
      const newDiff = diffTrees(await snapshotTree(ref.newjail), await snapshotTree(host.dirs.newjail), {
        ignoreMtimeOf: [
          '.',
          'usr',
          'basejail',
          'usr/ports',
          'var/db',
          'var/db/pkg',
          'bin',
          'boot',
          'lib',
          'libexec',
          'rescue',
          'sbin',
          'usr/bin',
          'usr/include',
          'usr/lib',
          'usr/lib32',
          'usr/libdata',
          'usr/libexec',
          'usr/sbin',
          'usr/share',
          'usr/src',
        ],
      })
      assert.deepEqual([...baseDiff, ...newDiff], [])
    } finally {
      await removeTree(reference)
    }
    assert.ok(
      (await readFile(path.join(host.dirs.basejail, 'var/db/pkg/local.sqlite'), 'utf8')).startsWith(
        'FreeBSD-set-minimal-jail',
      ),
    )
    assert.deepEqual(
      await readdir(path.join(host.dirs.newjail, 'var/db/pkg')),
      [],
      "jails' own package database starts empty",
    )
    const record = JSON.parse(await readFile(path.join(host.dirs.dbdir, 'release.json'), 'utf8')) as Record<
      string,
      unknown
    >
    assert.equal(record.provider, 'pkgbase')
    assert.deepEqual(record.pkgbase, {
      set: 'minimal-jail',
      mirror: repo.mirror,
      abi: 'FreeBSD:14:amd64',
      url: `${repo.mirror}/FreeBSD:14:amd64/base_release_3`,
    })
    assert.equal(record.release, RELEASE)

    const list = await tsez(['list', '--json'], host.env)
    assert.equal(list.exitCode, 0, list.stderr)
    const created = await tsez(['create', 'web1', '10.0.0.5'], host.env)
    assert.equal(created.exitCode, 0, created.stderr)
    const listed = await tsez(['list'], host.env)
    assert.match(listed.stdout, /web1.*14\.3-RELEASE/)
  })

  it('--set base-jail installs FreeBSD-set-base-jail; the record says so', async () => {
    const {exitCode, stderr} = await tsez(pkgArgs('--set', 'base-jail'), host.env)
    assert.equal(exitCode, 0, stderr)
    assert.equal(host.fake.calls('pkg').at(-1)?.at(-1), 'FreeBSD-set-base-jail')
    const record = JSON.parse(await readFile(path.join(host.dirs.dbdir, 'release.json'), 'utf8')) as {
      pkgbase: {set: string}
    }
    assert.equal(record.pkgbase.set, 'base-jail')
    const pkgbaseCheck = async () => {
      const doctor = await tsez(['doctor', '--json'], host.env)
      const {checks} = JSON.parse(doctor.stdout) as {checks: Array<{id: string; status: string; what: string}>}
      return checks.find((check) => check.id === 'pkgbase')
    }
    assert.match((await pkgbaseCheck())?.what ?? '', /FreeBSD-set-base-jail from pkgbase; keys in /)
    await rm(path.join(repo.fingerprints, 'trusted'), {recursive: true})
    assert.equal((await pkgbaseCheck())?.status, 'warn', 'without keys, no update can run')
  })

  const refusals: Array<[string, () => Promise<void> | void, string[], number, RegExp]> = [
    [
      'an unknown set',
      () => undefined,
      ['--set', 'kernel'],
      2,
      /unknown pkgbase set "kernel": expected minimal-jail or base-jail/,
    ],
    [
      'a keys directory without keys',
      async () => rm(path.join(repo.fingerprints, 'trusted'), {recursive: true}),
      [],
      2,
      /no pkgbase signing keys for 14\.3-RELEASE in .*pkgbase-keys\/pkgbase-14\/trusted \(.* copy pkgbase-14 from a host or image of that release into tsez_pkgbase_keys\)/,
    ],
    [
      'no keys on the host (the default /usr/share/keys/pkgbase-14)',
      async () =>
        writeFile(host.configFile, (await readFile(host.configFile, 'utf8')).replace(/^tsez_pkgbase_keys=.*\n/m, '')),
      [],
      2,
      /no pkgbase signing keys for 14\.3-RELEASE in \/usr\/share\/keys\/pkgbase-14\/trusted \(pkgbase keys ship in \/usr\/share\/keys\/pkgbase-MAJOR on FreeBSD 14\.x\/15\.x/,
    ],
    [
      'pkg failing',
      () => host.fake.set('pkg.fail', 'install'),
      [],
      1,
      /pkg install from .* failed \(exit 1\): pkg: install failed/,
    ],
    [
      'pkg installing nothing',
      () => host.fake.set('pkg.install-nothing', ''),
      [],
      1,
      /pkg reported success but FreeBSD-set-minimal-jail from .* did not install bin\/freebsd-version, bin\/sh/,
    ],
    ['-s', () => undefined, ['-s'], 2, /-s is for distribution sets/],
  ]
  for (const [what, damage, extra, code, message] of refusals) {
    it(`${what}: exit ${code}, one line, the previous install and the host unchanged`, async () => {
      assert.equal((await tsez(pkgArgs(), host.env)).exitCode, 0)
      const version = await readUserlandVersion(host.dirs.basejail)
      await damage()
      const before = await hostTree()
      const result = await tsez(pkgArgs('--force', ...extra), host.env)
      assert.equal(result.exitCode, code, result.stderr)
      assert.match(result.stderr, message)
      assert.equal(
        result.stderr
          .trim()
          .split('\n')
          .filter((line) => line.startsWith('tsez:')).length,
        1,
        result.stderr,
      )
      await unchanged(before)
      assert.equal(await readUserlandVersion(host.dirs.basejail), version)
    })
  }

  it('16.0 and later without --pkgbase: pkgbase, said on stderr (dry run)', async () => {
    await mkdir(path.join(repo.keys, 'pkgbase-16/trusted'), {recursive: true}) // each major its own keys
    await writeFile(path.join(repo.keys, 'pkgbase-16/trusted/pkgbase.pub'), 'k')
    const result = await tsez(['install', '-r', '16.0-RELEASE', '-a', 'amd64/amd64', '--dry-run'], host.env)
    assert.equal(result.exitCode, 0, result.stderr)
    assert.match(result.stderr, /16\.0-RELEASE has no distribution sets: installing it from pkgbase/)
    assert.match(result.stdout, /install FreeBSD-set-minimal-jail with pkg from .*\/FreeBSD:16:amd64\/base_release_0/)
    assert.match(
      result.stdout,
      /-o VERSION_MINOR=0 -o ASSUME_ALWAYS_YES=yes install -r FreeBSD-base FreeBSD-set-minimal-jail/,
    )
    assert.deepEqual(host.fake.calls('pkg'), [])
  })

  it('--dry-run prints every pkg call and changes nothing', async () => {
    const before = await hostTree()
    const result = await tsez(pkgArgs('--dry-run'), host.env)
    assert.equal(result.exitCode, 0, result.stderr)
    assert.match(
      result.stdout,
      /run pkg --rootdir .*\.tsez-staging\/full --repo-conf-dir .*pkgbase\/repos -o ABI=FreeBSD:14:amd64/,
    )
    assert.match(result.stdout, /var\/db\/pkg .*the base's package database/)
    assert.deepEqual(host.fake.calls('pkg'), [])
    await unchanged(before)
  })

  it('SIGKILL during pkg install leaves the previous basejail; the re-run finishes', async () => {
    assert.equal((await tsez(pkgArgs(), host.env)).exitCode, 0)
    const old = [...(await snapshotTree(host.dirs.basejail)).keys()]
    // The orphan's pkg install waits until the test lets it go: however slow the machine, it runs below the next one.
    host.fake.set('pkg.hold', 'install')
    const calls = host.fake.calls('pkg').length
    const {child, done} = spawnTsez(pkgArgs('--force'), host.env)
    const installing = () =>
      host.fake
        .calls('pkg')
        .slice(calls)
        .some((call) => call.includes('install'))
    for (let waited = 0; !installing(); waited += 100) {
      assert.ok(waited < 60_000, 'pkg install never started')
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    child.kill('SIGKILL')
    await done
    // Its pkg lives on (a SIGKILL reaches tsez alone) and is named in the lock: no install may start beside it.
    const early = await tsez(pkgArgs('--force'), {...host.env, TSEZ_LOCK_WAIT: '0'})
    assert.equal(early.exitCode, 1, early.stderr)
    assert.match(early.stderr, /pkg \(pid \d+\), still running for tsez install \(pid \d+.*holds the host lock/)
    const lock = JSON.parse(await readFile(path.join(host.dirs.dbdir, 'lock'), 'utf8')) as {
      children: Array<{pid: number}>
    }
    assert.ok(lock.children.length > 0, 'the lock names the orphaned pkg')
    host.fake.unset('pkg.hold')
    // Waits for it to end (a zombie has ended: the reaper of a container may never reap it).
    const running = (pid: number) =>
      readFile(`/proc/${pid}/stat`, 'utf8').then(
        (stat) => !/\) Z /.test(stat),
        () => false,
      )
    for (const {pid} of lock.children) {
      for (let waited = 0; await running(pid); waited += 50) {
        assert.ok(waited < 30_000, `the orphaned pkg (pid ${pid}) never ended`)
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
    }
    assert.deepEqual([...(await snapshotTree(host.dirs.basejail)).keys()], old, 'the orphan finished outside it')
    const rerun = await tsez(pkgArgs('--force'), host.env)
    assert.equal(rerun.exitCode, 0, rerun.stderr)
    assert.deepEqual([...(await snapshotTree(host.dirs.basejail)).keys()], old)
    assert.deepEqual(await readdir(host.dirs.jaildir).then((names) => names.filter((n) => n.startsWith('.'))), [])
  })
})
