import assert from 'node:assert/strict'
import path from 'node:path'

import type {UpdateResult} from '../../src/update/service.js'
import {tsez} from '../support/cli.js'
import {diffTrees, snapshotTree} from '../support/tree.js'
import {createUpdateSandbox, type UpdateSandbox} from '../support/update-jails.js'

// What a FreeBSD admin expects of update: no downgrades, and "nothing to do" is said, not dressed up as a change.
describe('hostile: update to an older, the same, or no newer release', function () {
  this.timeout(120_000)
  let box: UpdateSandbox
  afterEach(async () => box?.cleanup())

  const sandbox = async (version = '14.3-RELEASE-p2') => {
    box = await createUpdateSandbox({version})
    await box.seedJails(2, {running: [1]})
    box.host.set('zfs.datasets', `zroot/jails/basejail\t${box.config.basejail}\n`)
    seeded = box.host.calls().length
    return box
  }
  /** Everything below the sandbox; `ignore` leaves out paths (relative to it) a run may rewrite. */
  const snapshot = (ignore: string[] = []) => {
    const skipped = ['var/db/tsez/lock', ...ignore]
    return snapshotTree(box.dir, {exclude: (rel) => skipped.some((p) => rel === p || rel.startsWith(p + '/'))})
  }
  const unchanged = async (before: Awaited<ReturnType<typeof snapshot>>, ignore: string[] = []) =>
    assert.deepEqual(diffTrees(before, await snapshot(ignore), {ignoreMtimeOf: ['var/db/tsez']}), [])
  /** What ran that could change something (zfs list and jls only read), since the jails were seeded. */
  let seeded = 0
  const changers = () =>
    box.host
      .calls()
      .slice(seeded)
      .filter(
        ([program, command]) => ['freebsd-update', 'etcupdate', 'jail'].includes(program!) || command === 'snapshot',
      )

  for (const [from, to] of [
    ['15.1-RELEASE-p2', '14.3-RELEASE'],
    ['14.3-RELEASE-p2', '14.2-RELEASE'],
    ['15.1-RELEASE', '15.1-RC2'],
  ] as const) {
    it(`update -U -r ${to} on ${from} is refused (exit 2): freebsd-update cannot downgrade; nothing changed`, async () => {
      await sandbox(from)
      const before = await snapshot()
      const result = await tsez(['update', '-U', '-r', to], box.env)
      assert.equal(result.exitCode, 2, result.stderr)
      assert.match(
        result.stderr,
        new RegExp(
          `the basejail runs ${from}: freebsd-update cannot downgrade it to ${to}; reinstall with tsez install -r ${to} --force`,
        ),
      )
      assert.deepEqual(changers(), [])
      await unchanged(before)
    })
  }

  it('update -U -r to the release the basejail runs is a no-op: exit 0, said so, --json upToDate', async () => {
    await sandbox()
    const before = await snapshot()
    const human = await tsez(['update', '-U', '-r', '14.3-RELEASE', '--restart'], box.env)
    assert.equal(human.exitCode, 0, human.stderr)
    assert.match(human.stdout, /already runs 14\.3-RELEASE \(14\.3-RELEASE-p2\): nothing to upgrade/)
    assert.doesNotMatch(human.stdout, /->/)
    const json = await tsez(['update', '-U', '-r', '14.3-RELEASE', '--json'], box.env)
    assert.equal(json.exitCode, 0, json.stderr)
    const report = JSON.parse(json.stdout) as UpdateResult
    assert.equal(report.upToDate, true)
    assert.equal(report.versionAfter, '14.3-RELEASE-p2')
    assert.deepEqual(
      report.jails.map((j) => [j.name, j.needsRestart, j.restarted]),
      [
        ['jail001', false, false],
        ['jail002', false, false],
      ],
    )
    assert.deepEqual(changers(), [], 'no freebsd-update, no stock /etc, no bootstrap, no snapshot, no restart')
    await unchanged(before)
  })

  it('update -u when freebsd-update fetch says "No updates needed": said so, nothing installed, no restart due', async () => {
    await sandbox()
    box.host.set('freebsd-update.uptodate', '')
    const before = await snapshot()
    const human = await tsez(['update', '-u', '--restart'], box.env)
    assert.equal(human.exitCode, 0, human.stderr)
    assert.match(human.stdout, /14\.3-RELEASE-p2 is up to date: freebsd-update fetch found no updates/)
    assert.doesNotMatch(human.stdout, /->|restart/)
    const json = await tsez(['update', '-u', '--json'], box.env)
    const report = JSON.parse(json.stdout) as UpdateResult
    assert.equal(report.upToDate, true)
    assert.equal(report.installRounds, 0)
    assert.equal(report.versionAfter, '14.3-RELEASE-p2')
    assert.deepEqual(
      report.jails.map((j) => [j.name, j.needsRestart, j.restarted]),
      [
        ['jail001', false, false],
        ['jail002', false, false],
      ],
    )
    assert.deepEqual(
      changers().map((call) => `${call[0]} ${call.at(-1)}`),
      ['freebsd-update fetch', 'freebsd-update fetch'],
      'no install run, no snapshot of an unchanged base, no restart',
    )
    // tsez's freebsd-update.conf and workdir are (re)written before every fetch; nothing else changes.
    await unchanged(before, [
      path.join('var/db/tsez', 'freebsd-update'),
      path.join('var/db/tsez', 'freebsd-update.conf'),
    ])
  })
})
