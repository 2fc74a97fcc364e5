// tsez update on a pkgbase basejail: pkg upgrade once for every jail, never freebsd-update; -U merges each /etc.
import assert from 'node:assert/strict'
import {mkdir, readFile, stat, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {spawnTsez, tsez} from '../support/cli.js'
import {
  addGeneratedRelease,
  configurePkgbase,
  createPkgbaseRepo,
  releaseRepoDir,
  type PkgbaseRepoFixture,
} from '../support/pkgbase-repo.js'
import {sharedRelease} from '../support/test-host.js'
import {createUpdateSandbox, type UpdateSandbox} from '../support/update-jails.js'

/** A sandbox whose basejail a pkgbase install of 14.3-RELEASE made: its record and its package database. */
async function pkgbaseSandbox(): Promise<{box: UpdateSandbox; repo: PkgbaseRepoFixture}> {
  const box = await createUpdateSandbox({version: '14.3-RELEASE-p2'})
  const {release} = await sharedRelease()
  const repo = await createPkgbaseRepo(path.join(box.dir, 'pkgrepo'), '14.3-RELEASE', release.sets.base!.path)
  await configurePkgbase(path.join(box.dir, 'tsez.conf'), repo)
  const url = `file://${releaseRepoDir(repo.root, '14.3-RELEASE')}`
  const record = {
    release: '14.3-RELEASE',
    userland: '14.3-RELEASE-p2',
    machine: 'amd64',
    arch: 'amd64',
    provider: 'pkgbase',
    pkgbase: {set: 'minimal-jail', mirror: repo.mirror, abi: 'FreeBSD:14:amd64', url},
    patched: true,
    installedAt: '2026-01-01T00:00:00.000Z',
  }
  await writeFile(path.join(box.config.dbdir, 'release.json'), JSON.stringify(record, null, 2) + '\n')
  await mkdir(path.join(box.config.basejail, 'var/db/pkg'), {recursive: true})
  await writeFile(path.join(box.config.basejail, 'var/db/pkg/local.sqlite'), `FreeBSD-set-minimal-jail\t${url}\n`)
  return {box, repo}
}

const upgrades = (box: UpdateSandbox) =>
  box.host
    .calls('pkg')
    .map((row) => row.slice(1))
    .filter((argv) => argv.includes('upgrade'))

describe('tsez update on a pkgbase basejail', function () {
  this.timeout(300_000)
  let box: UpdateSandbox
  afterEach(() => box.cleanup())

  it('-u: pkg --rootdir BASEJAIL upgrade once for 10 jails, never freebsd-update; the record follows', async () => {
    ;({box} = await pkgbaseSandbox())
    await box.seedJails(10)
    const before = await box.jailFilesDigest()
    box.host.set('pkg.upgrade-version', '14.3-RELEASE-p4')
    const result = await tsez(['update', '-u'], box.env)
    assert.equal(result.exitCode, 0, result.stderr)
    const calls = upgrades(box)
    assert.equal(calls.length, 1)
    assert.deepEqual(calls[0]?.slice(0, 4), [
      '--rootdir',
      box.config.basejail,
      '--repo-conf-dir',
      path.join(box.config.dbdir, 'pkgbase/repos'),
    ])
    assert.ok(calls[0]?.includes('ABI=FreeBSD:14:amd64') && calls[0]?.includes('VERSION_MINOR=3'))
    assert.deepEqual(box.host.calls('freebsd-update'), [])
    assert.equal(await box.baseVersion(), '14.3-RELEASE-p4')
    const record = JSON.parse(await readFile(path.join(box.config.dbdir, 'release.json'), 'utf8')) as {
      userland: string
      provider: string
    }
    assert.deepEqual([record.userland, record.provider], ['14.3-RELEASE-p4', 'pkgbase'])
    assert.equal(await box.jailFilesDigest(), before, 'no jail is touched by a patch')
  })

  it('-u with nothing to upgrade: up to date, the record unchanged; a killed /etc build is swept flags first', async () => {
    ;({box} = await pkgbaseSandbox())
    const killedBuild = path.join(box.config.dbdir, 'etcupdate/.build-14.4-RELEASE-0badf00d')
    await mkdir(path.join(killedBuild, 'tree/lib'), {recursive: true})
    const record = await readFile(path.join(box.config.dbdir, 'release.json'), 'utf8')
    const result = await tsez(['update', '-u', '--json'], box.env)
    assert.equal(result.exitCode, 0, result.stderr)
    assert.equal((JSON.parse(result.stdout) as {upToDate: boolean}).upToDate, true)
    assert.deepEqual(
      box.host.calls('chflags').map((row) => row.at(-1)),
      [killedBuild],
      'pkg sets schg in a pkgbase tree',
    )
    await assert.rejects(stat(killedBuild))
    assert.equal(await readFile(path.join(box.config.dbdir, 'release.json'), 'utf8'), record)
    assert.deepEqual(box.host.calls('freebsd-update'), [])
  })

  it('-U -r 14.4-RELEASE: the repo switched, pkg upgrade once, then etcupdate for every jail and the newjail', async () => {
    let repo: PkgbaseRepoFixture
    ;({box, repo} = await pkgbaseSandbox())
    await addGeneratedRelease(repo.root, '14.4-RELEASE')
    await box.seedJails(10)
    const dry = await tsez(['update', '-U', '-r', '14.4-RELEASE', '--dry-run'], box.env)
    assert.equal(dry.exitCode, 0, dry.stderr)
    assert.match(
      dry.stdout,
      /build \S+etc-14\.4-RELEASE\.tbz from 14\.4-RELEASE FreeBSD-set-minimal-jail from file:\S+base_release_4/,
    )
    assert.match(dry.stdout, /run pkg --rootdir \S+basejail .* upgrade -r FreeBSD-base/)
    assert.doesNotMatch(dry.stdout, /freebsd-update/)
    const result = await tsez(['update', '-U', '-r', '14.4-RELEASE'], box.env)
    assert.equal(result.exitCode, 0, result.stderr)
    const calls = upgrades(box)
    assert.equal(calls.length, 1)
    assert.equal(calls[0]?.[1], box.config.basejail)
    for (const option of ['ABI=FreeBSD:14:amd64', 'VERSION_MINOR=4', 'OSVERSION=1404000', 'IGNORE_OSVERSION=yes'])
      assert.ok(calls[0]?.includes(option), option)
    const conf = await readFile(path.join(box.config.dbdir, 'pkgbase/repos/FreeBSD-base.conf'), 'utf8')
    assert.match(conf, /FreeBSD:14:amd64\/base_release_4"/)
    assert.match(await box.baseVersion(), /^14\.4-RELEASE/)
    assert.deepEqual(box.host.calls('freebsd-update'), [])
    const merges = box.host
      .calls('etcupdate')
      .map((row) => row.slice(1))
      .filter((argv) => argv[0] === '-D')
    assert.equal(merges.length, 11, 'ten jails and the newjail')
    assert.ok(merges.every((argv) => argv.at(-1)?.endsWith('etc-14.4-RELEASE.tbz')))
    const record = JSON.parse(await readFile(path.join(box.config.dbdir, 'release.json'), 'utf8')) as {
      release: string
      pkgbase: {url: string; set: string}
    }
    assert.equal(record.release, '14.4-RELEASE')
    assert.match(record.pkgbase.url, /\/FreeBSD:14:amd64\/base_release_4$/, 'the record names the new repository')
    assert.equal(record.pkgbase.set, 'minimal-jail')
    const tarball = path.join(box.config.dbdir, 'etcupdate/etc-14.4-RELEASE.tbz')
    assert.ok((await readFile(tarball)).length > 0, 'the stock /etc of 14.4 built from its packages')
  })

  it('-u with pkg failing: exit 1 saying pkg stopped and how to finish; the next -u finishes it', async () => {
    ;({box} = await pkgbaseSandbox())
    await box.seedJails(2)
    const before = await box.jailFilesDigest()
    box.host.set('pkg.upgrade-version', '14.3-RELEASE-p4')
    box.host.set('pkg.fail', 'upgrade')
    const failed = await tsez(['update', '-u'], box.env)
    assert.equal(failed.exitCode, 1, failed.stderr)
    assert.match(
      failed.stderr,
      /pkg upgrade failed \(exit 1\).*pkg stopped part way; fix the cause, then tsez update -u runs pkg upgrade again/,
    )
    assert.equal(await box.jailFilesDigest(), before)
    box.host.unset('pkg.fail')
    const again = await tsez(['update', '-u'], box.env)
    assert.equal(again.exitCode, 0, again.stderr)
    assert.equal(await box.baseVersion(), '14.3-RELEASE-p4')
    assert.deepEqual(box.host.calls('freebsd-update'), [])
  })

  it('with ZFS: snapshot just before pkg upgrade; a failing pkg is undone from it, no jail touched', async () => {
    ;({box} = await pkgbaseSandbox())
    await box.seedJails(2)
    box.host.set('zfs.datasets', `zroot/jails/basejail\t${box.config.basejail}\n`)
    box.host.set('pkg.fail', 'upgrade')
    const failed = await tsez(['update', '-u'], box.env)
    assert.equal(failed.exitCode, 1)
    assert.match(
      failed.stderr,
      /pkg upgrade failed .*; the basejail was restored from zroot\/jails\/basejail@tsez-update-\d{8}T\d{6}Z \(14\.3-RELEASE-p2\) and no jail was touched/,
    )
    const zfs = box.host.calls('zfs').map((call) => call[1])
    assert.deepEqual(
      zfs.filter((command) => command === 'snapshot' || command === 'rollback'),
      ['snapshot', 'rollback'],
    )
  })

  it('SIGKILL during pkg upgrade: the next update -u finishes it (base and record at the new version)', async () => {
    ;({box} = await pkgbaseSandbox())
    box.host.set('pkg.upgrade-version', '14.3-RELEASE-p4')
    box.host.set('pkg.sleep', '2')
    const {child, done} = spawnTsez(['update', '-u'], box.env)
    const deadline = Date.now() + 30_000
    while (upgrades(box).length < 1 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50))
    child.kill('SIGKILL')
    await done
    box.host.unset('pkg.sleep')
    // The orphaned pkg is noted in the host lock: the next run waits for it instead of running beside it.
    const again = await tsez(['update', '-u'], {...box.env, TSEZ_LOCK_WAIT: '10'})
    assert.equal(again.exitCode, 0, again.stderr)
    assert.equal(await box.baseVersion(), '14.3-RELEASE-p4')
    const record = JSON.parse(await readFile(path.join(box.config.dbdir, 'release.json'), 'utf8')) as {userland: string}
    assert.equal(record.userland, '14.3-RELEASE-p4')
  })

  it('--rollback and -i are refused on a pkgbase basejail (exit 2), nothing run', async () => {
    ;({box} = await pkgbaseSandbox())
    for (const args of [['--rollback'], ['-i', '-s', box.dir]]) {
      await mkdir(box.dir, {recursive: true})
      await writeFile(path.join(box.dir, 'Makefile'), '')
      const result = await tsez(['update', ...args], box.env)
      assert.equal(result.exitCode, 2, result.stderr)
      assert.match(result.stderr, /installed with pkgbase/)
    }
    assert.deepEqual(box.host.calls('freebsd-update'), [])
    assert.deepEqual(box.host.calls('make'), [])
  })
})
