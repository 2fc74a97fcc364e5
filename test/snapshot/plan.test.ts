import assert from 'node:assert/strict'

import type {TsezConfig} from '../../src/config.js'
import {
  checkRollback,
  defaultSnapshotName,
  jailDatasetProblem,
  RESERVED_SNAPSHOT_PREFIXES,
  snapshotNameProblem,
  type JailSnapshot,
} from '../../src/snapshot/plan.js'
import {CLONE_SNAPSHOT_PREFIX} from '../../src/clone/plan.js'
import {ARCHIVE_SNAPSHOT_PREFIX} from '../../src/jail/archive-journal.js'
import type {JailRecord} from '../../src/jail/store.js'

const snap = (name: string): JailSnapshot => ({name, full: `zroot/tsez/web1@${name}`, created: '', used: 0})
const jail = {name: 'web1', hostname: 'web1', root: '/usr/jails/web1'} as JailRecord

describe('snapshot planning', () => {
  it('names a snapshot after the clock, in UTC, to the second', () => {
    assert.equal(defaultSnapshotName(new Date('2026-01-02T03:04:05.678Z')), 'tsez-20260102T030405Z')
    assert.equal(snapshotNameProblem(defaultSnapshotName(new Date())), undefined)
  })

  it('takes zfs component characters only, never a leading - or a lone . or ..', () => {
    for (const good of ['before-upgrade', 'a.b:c_d', '2026', 'x'.repeat(200)]) {
      assert.equal(snapshotNameProblem(good), undefined, good)
    }
    for (const bad of ['', '-r', 'a/b', 'a@b', 'a b', '.', '..', 'x'.repeat(201), 'é', 'a\nb']) {
      assert.match(snapshotNameProblem(bad) ?? '', /^snapshot name /, JSON.stringify(bad))
    }
  })

  it("refuses the names tsez takes for its own snapshots (a clone's sweep would destroy one), and they agree", () => {
    for (const reserved of ['tsez-clone-before-upgrade', 'tsez-archive-1', 'tsez-update-x']) {
      assert.match(
        snapshotNameProblem(reserved) ?? '',
        /^snapshot name "tsez-\w+-[^"]*": names starting tsez-\w+- are tsez's own/,
      )
    }
    assert.equal(snapshotNameProblem('tsez-clone'), undefined)
    assert.equal(snapshotNameProblem('tsez-mine'), undefined)
    assert.ok(RESERVED_SNAPSHOT_PREFIXES.some((prefix) => prefix === CLONE_SNAPSHOT_PREFIX))
    assert.ok(RESERVED_SNAPSHOT_PREFIXES.some((prefix) => prefix === ARCHIVE_SNAPSHOT_PREFIX))
    assert.ok(RESERVED_SNAPSHOT_PREFIXES.every((prefix) => snapshotNameProblem(`${prefix}x`) !== undefined))
  })

  it('off ZFS says how to turn it on; an unknown jail or one without a dataset is named', () => {
    const off = {useZfs: false} as TsezConfig
    const on = {useZfs: true} as TsezConfig
    assert.match(jailDatasetProblem(off, 'web1', jail, undefined) ?? '', /tsez_use_zfs="YES" and tsez_zfs_parent=/)
    assert.match(jailDatasetProblem(on, 'nope', undefined, undefined) ?? '', /no jail named "nope"/)
    assert.match(jailDatasetProblem(on, 'web1', jail, undefined) ?? '', /jail web1 has no ZFS dataset of its own/)
    assert.equal(jailDatasetProblem(on, 'web1', jail, 'zroot/tsez/web1'), undefined)
  })

  it('rollback: the target, later snapshots only with --destroy-later, never over clones', () => {
    const list = [snap('a'), snap('b'), snap('c')]
    const none = {destroyLater: false, clonesOfLater: []}
    assert.match(checkRollback('web1', list, 'x', none) as string, /no snapshot "x"; its snapshots: a, b, c/)
    assert.match(checkRollback('web1', [], 'x', none) as string, /its snapshots: none/)
    assert.match(
      checkRollback('web1', list, 'a', none) as string,
      /destroys the later snapshots b, c; add --destroy-later/,
    )
    assert.deepEqual(checkRollback('web1', list, 'c', none), {target: list[2], later: []})
    assert.deepEqual(checkRollback('web1', list, 'a', {destroyLater: true, clonesOfLater: []}), {
      target: list[0],
      later: [list[1], list[2]],
    })
    const cloned = checkRollback('web1', list, 'a', {destroyLater: true, clonesOfLater: ['zroot/tsez/web2']})
    assert.match(cloned as string, /clones \(zroot\/tsez\/web2\)/)
  })
})
