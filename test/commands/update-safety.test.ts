// tsez update's safety rules: refusals, snapshots, failures at every phase, rollback, dry-run, -b/-i.
import assert from 'node:assert/strict'
import {mkdir, readdir, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {pathExists} from '../../src/system/files.js'
import {tsez} from '../support/cli.js'
import {createUpdateSandbox, type UpdateSandbox} from '../support/update-jails.js'

describe('tsez update: safety rules', () => {
  let box: UpdateSandbox
  afterEach(async () => box?.cleanup())

  const sandbox = async (jails = 2) => {
    box = await createUpdateSandbox()
    await box.seedJails(jails)
    // Jails already bootstrapped and the new tarball cached: these tests are about the base step.
    for (const root of [...(await readdir(box.config.jaildir)).map((name) => path.join(box.config.jaildir, name))]) {
      await mkdir(path.join(root, 'var/db/etcupdate/current'), {recursive: true})
    }
    await mkdir(path.join(box.config.dbdir, 'etcupdate'), {recursive: true})
    await writeFile(path.join(box.config.dbdir, 'etcupdate/etc-15.1-RELEASE.tbz'), 'cached')
    return box
  }
  const merges = () => box.host.calls('etcupdate').filter((call) => call[1] === '-D')
  const updates = (command: string) => box.host.calls('freebsd-update').filter((call) => call.at(-1) === command)

  it('refuses before running anything when kern.securelevel > 0', async () => {
    await sandbox()
    box.host.set('securelevel', '1')
    const result = await tsez(['update', '-u'], box.env)
    assert.equal(result.exitCode, 2, 'refused, nothing changed')
    assert.match(result.stderr, /kern\.securelevel is 1/)
    assert.deepEqual(box.host.calls('freebsd-update'), [])
    assert.deepEqual((await readdir(box.config.dbdir)).sort(), ['etcupdate', 'release.json'], 'no lock, no workdir')
  })

  it('snapshots a ZFS basejail before changing it', async () => {
    await sandbox()
    box.host.set('zfs.datasets', `zroot/jails/basejail\t${box.config.basejail}\nzroot/jails\t${box.config.jaildir}\n`)
    const result = await tsez(['update', '-u'], box.env)
    assert.equal(result.exitCode, 0, result.stderr)
    const snapshot = box.host.calls('zfs').find((call) => call[1] === 'snapshot')
    assert.match(snapshot?.[2] ?? '', /^zroot\/jails\/basejail@tsez-update-\d{8}T\d{6}Z$/)
    const order = box.host.calls().map((call) => call[0])
    assert.ok(order.indexOf('zfs') < order.indexOf('freebsd-update'))
    assert.match(box.host.read('zfs.snapshots') ?? '', /basejail@tsez-update-/)
  })

  it('leaves the base unchanged and merges nothing when fetch fails', async () => {
    await sandbox()
    box.host.set('freebsd-update.fail', 'fetch')
    const result = await tsez(['update', '-u'], box.env)
    assert.equal(result.exitCode, 1)
    assert.match(result.stderr, /fetch failed .* the basejail is unchanged \(14\.3-RELEASE-p2\)/)
    assert.deepEqual(updates('install'), [])
    assert.equal(await box.baseVersion(), '14.3-RELEASE-p2')
  })

  it('runs no install and no etcupdate when upgrade fails', async () => {
    await sandbox()
    box.host.set('freebsd-update.fail', 'upgrade')
    const result = await tsez(['update', '-U', '-r', '15.1-RELEASE'], box.env)
    assert.equal(result.exitCode, 1)
    assert.match(result.stderr, /upgrade failed .* the basejail is unchanged/)
    assert.deepEqual([updates('install'), merges()], [[], []])
    assert.equal(await box.baseVersion(), '14.3-RELEASE-p2')
  })

  // The fake's upgrade installs in three runs (kernel, world: the version changes, old libraries); run N writes
  // half of its phase (BASEDIR/.fake-half-installed) and fails, as freebsd-update on a full disk would.
  const halfInstalled = () => pathExists(path.join(box.config.basejail, '.fake-half-installed'))
  for (const [run, version] of [
    [1, '14.3-RELEASE-p2'],
    [2, '14.3-RELEASE-p2'],
    [3, '15.1-RELEASE'],
  ] as const) {
    it(`without ZFS, a failure in install run ${run} is finished by the next update -U, never by --rollback`, async () => {
      await sandbox()
      box.host.set('freebsd-update.fail-install-run', String(run))
      const failed = await tsez(['update', '-U', '-r', '15.1-RELEASE'], box.env)
      assert.equal(failed.exitCode, 1)
      assert.match(
        failed.stderr,
        new RegExp(
          `install \\(round ${run}\\) failed .*No space left.*; the basejail is half changed \\(bin/freebsd-version ` +
            `says ${version}\\) .*tsez update -U -r 15\\.1-RELEASE finishes it \\(not --rollback\\)`,
        ),
      )
      assert.deepEqual([await halfInstalled(), merges()], [true, []])

      const back = await tsez(['update', '--rollback'], box.env)
      assert.equal(back.exitCode, 2)
      assert.match(back.stderr, /still half done .* finish it first with tsez update -U -r 15\.1-RELEASE, then/)
      assert.deepEqual(updates('rollback'), [], 'freebsd-update rollback would drop the half-done install')
      const patch = await tsez(['update', '-u'], box.env)
      assert.equal(patch.exitCode, 2)
      assert.match(
        patch.stderr,
        /an upgrade to 15\.1-RELEASE is half installed .* run tsez update -U -r 15\.1-RELEASE first/,
      )
      assert.equal(updates('install').length, run, 'a patch never finishes an upgrade (its /etc merges would be lost)')

      const finished = await tsez(['update', '-U', '-r', '15.1-RELEASE'], box.env)
      assert.equal(finished.exitCode, 0, finished.stderr)
      assert.equal(updates('upgrade').length, 1, 'no second upgrade: the half-done install is finished, not replaced')
      assert.equal(updates('install').length, 4 + 1, 'the three install runs, the failed one again, and the exit-2 run')
      assert.deepEqual([await box.baseVersion(), await halfInstalled(), merges().length], ['15.1-RELEASE', false, 3])
      assert.equal(await pathExists(path.join(box.config.dbdir, 'update-pending.json')), false)

      // Complete now, so freebsd-update's own rollback undoes the whole upgrade.
      const undone = await tsez(['update', '--rollback'], box.env)
      assert.equal(undone.exitCode, 0, undone.stderr)
      assert.equal(await box.baseVersion(), '14.3-RELEASE-p2')
    })
  }

  it('without ZFS, a failed patch install is finished by the next update -u, without fetching again', async () => {
    await sandbox()
    box.host.set('freebsd-update.patch', '14.3-RELEASE-p5')
    box.host.set('freebsd-update.fail-install-run', '1')
    const failed = await tsez(['update', '-u'], box.env)
    assert.equal(failed.exitCode, 1)
    assert.match(failed.stderr, /half changed .* tsez update -u finishes it \(not --rollback\)/)
    const dry = await tsez(['update', '-u', '--dry-run'], box.env)
    assert.match(dry.stdout, /an earlier install stopped half way: finish it/)
    assert.doesNotMatch(dry.stdout, / fetch\n/)
    const finished = await tsez(['update', '-u'], box.env)
    assert.equal(finished.exitCode, 0, finished.stderr)
    assert.deepEqual(
      [updates('fetch').length, await box.baseVersion(), await halfInstalled()],
      [1, '14.3-RELEASE-p5', false],
    )
  })

  it('with ZFS, a failed install is undone from the snapshot; the next update starts afresh', async () => {
    await sandbox()
    box.host.set('zfs.datasets', `zroot/jails/basejail\t${box.config.basejail}\n`)
    box.host.set('freebsd-update.fail-install-run', '2')
    const failed = await tsez(['update', '-U', '-r', '15.1-RELEASE'], box.env)
    assert.equal(failed.exitCode, 1)
    assert.match(
      failed.stderr,
      /install \(round 2\) failed .*; the basejail was restored from zroot\/jails\/basejail@tsez-update-\d{8}T\d{6}Z \(14\.3-RELEASE-p2\) and no jail was touched/,
    )
    const rollback = box.host.calls('zfs').find((call) => call[1] === 'rollback')
    assert.match(rollback?.[2] ?? '', /^zroot\/jails\/basejail@tsez-update-/)
    assert.deepEqual([await box.baseVersion(), await halfInstalled(), merges()], ['14.3-RELEASE-p2', false, []])

    box.host.unset('freebsd-update.fail-install-run')
    const again = await tsez(['update', '-U', '-r', '15.1-RELEASE'], box.env)
    assert.equal(again.exitCode, 0, again.stderr)
    assert.equal(updates('upgrade').length, 2, 'the dropped install is fetched again, not resumed onto the old base')
    assert.equal(await box.baseVersion(), '15.1-RELEASE')
  })

  it('with ZFS, says how to restore by hand when the snapshot cannot be rolled back', async () => {
    await sandbox()
    box.host.set('zfs.datasets', `zroot/jails/basejail\t${box.config.basejail}\n`)
    box.host.set('freebsd-update.fail-install-run', '1')
    box.host.set('zfs.fail', 'rollback')
    const failed = await tsez(['update', '-u'], box.env)
    assert.equal(failed.exitCode, 1)
    assert.match(
      failed.stderr,
      /restoring (zroot\/jails\/basejail@tsez-update-\S+) failed too \(cannot rollback: I\/O error.*\): the basejail may be half changed \(14\.3-RELEASE-p2\); run zfs rollback \1/,
    )
    assert.equal(await halfInstalled(), true)
  })

  it('merges the other jails when etcupdate fails in one, and exits 1', async () => {
    await sandbox(3)
    box.host.set('etcupdate.conflicts.jail002', '/etc/rc.conf\n')
    const result = await tsez(['update', '-U', '-r', '15.1-RELEASE'], box.env)
    assert.equal(result.exitCode, 1)
    assert.equal(await box.baseVersion(), '15.1-RELEASE')
    assert.equal(merges().length, 4)
    assert.match(
      result.stdout,
      /jail002: failed: .*Conflicts remain.* 1 conflict left for etcupdate resolve -D \S+jail002: \/etc\/rc\.conf/,
    )
    assert.match(result.stdout, /jail001: ok/)
    assert.match(result.stdout, /jail003: ok/)
  })

  it('--dry-run prints every command for every jail and changes nothing', async () => {
    await sandbox(3)
    const before = await box.jailFilesDigest()
    const result = await tsez(['update', '-U', '-r', '15.1-RELEASE', '-n', '--restart'], box.env)
    assert.equal(result.exitCode, 0, result.stderr)
    for (const name of ['jail001', 'jail002', 'jail003', 'newjail']) {
      assert.match(result.stdout, new RegExp(`run etcupdate -D \\S+/${name} -t \\S+etc-15\\.1-RELEASE\\.tbz`))
    }
    assert.match(
      result.stdout,
      /run PAGER=cat freebsd-update -b \S+ -d \S+ -f \S+ --currently-running 14\.3-RELEASE-p2 --not-running-from-cron -r 15\.1-RELEASE upgrade/,
    )
    assert.match(result.stdout, /install \(repeated until it exits 2\)/)
    assert.deepEqual([box.host.calls('freebsd-update'), box.host.calls('etcupdate')], [[], []])
    assert.equal(await box.jailFilesDigest(), before)
    assert.ok(!(await readdir(box.config.dbdir)).includes('lock'))
  })

  it('-b/-i from a tree without sys/conf/newvers.sh exit 2 and run no make', async () => {
    await sandbox(1)
    const src = path.join(box.dir, 'usr/src')
    await mkdir(src, {recursive: true})
    await writeFile(path.join(src, 'Makefile'), '# world\n')
    for (const flag of ['-b', '-i']) {
      const result = await tsez(['update', flag], box.env)
      assert.equal(result.exitCode, 2)
      assert.match(result.stderr, /sys\/conf\/newvers\.sh is missing: .* is not a FreeBSD source tree/)
    }
    assert.deepEqual(box.host.calls('make'), [])
  })

  it('-b without a source tree exits 2 and runs nothing', async () => {
    await sandbox(1)
    const result = await tsez(['update', '-b', '-s', path.join(box.dir, 'nowhere')], box.env)
    assert.equal(result.exitCode, 2)
    assert.match(result.stderr, /no source tree at .*nowhere \(Makefile missing\)/)
    assert.deepEqual(box.host.calls('make'), [])
  })
})
