// The pure parts of a ZFS create's guess: which snapshot is the newjail as it is, the reuse rule, the record's check.
import assert from 'node:assert/strict'
import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {resolveConfig} from '../../src/config.js'
import {readSnapshotRecord, snapshotRecordFile} from '../../src/create/checked-clone.js'
import {assumeCurrent, planZfsClone, showsCurrent, type ZfsObservation} from '../../src/create/zfs.js'

const settings = (dbdir: string) =>
  resolveConfig(
    new Map([
      ['tsez_jaildir', '/j'],
      ['tsez_dbdir', dbdir],
      ['tsez_use_zfs', 'YES'],
      ['tsez_zfs_parent', 'tank/tsez'],
    ]),
    '/tsez.conf',
  )
const config = settings('/db')
const T = 'tank/tsez/newjail'
const seen = (names: string[], templateChanged = false): ZfsObservation => ({names: [T, ...names], templateChanged})
const jail = {name: 'web', root: '/j/web', quota: undefined, existingRoot: false, templateEtc: false}
const plan = (observation: ZfsObservation) =>
  planZfsClone(config, {...jail, now: new Date('2026-12-06T07:00:00Z'), mark: 'feedc0de'}, observation)

describe('create on ZFS: the guessed snapshot', () => {
  it('shows SNAPSHOT current only as the newest snapshot of an unchanged newjail', () => {
    const snapshot = `${T}@tsez-1`
    assert.equal(showsCurrent(config, seen([snapshot]), snapshot), true)
    assert.equal(showsCurrent(config, seen([snapshot], true), snapshot), false, 'written since')
    assert.equal(showsCurrent(config, seen([snapshot, `${T}@by-hand`]), snapshot), false, 'a later snapshot')
    assert.equal(showsCurrent(config, seen([`${T}@tsez-0`]), snapshot), false, 'gone')
    assert.equal(showsCurrent(config, {names: [snapshot], templateChanged: false}, snapshot), false, 'no newjail')
    assert.equal(showsCurrent(config, assumeCurrent(config, snapshot), snapshot), true)
  })

  it('reuses the newest snapshot only when it is a tsez one; the mark is the last property', () => {
    const reused = plan(seen([`${T}@tsez-1`]))
    assert.ok(reused !== undefined && !Array.isArray(reused))
    assert.equal(reused.snapshot, `${T}@tsez-1`)
    assert.equal(reused.takeSnapshot, false)
    assert.deepEqual(reused.properties, ['mountpoint=/j/web', 'tsez:create=feedc0de'])
    const hidden = plan(seen([`${T}@tsez-1`, `${T}@by-hand`]))
    assert.ok(hidden !== undefined && !Array.isArray(hidden))
    assert.equal(hidden.takeSnapshot, true, 'a later snapshot by hand: written says nothing of what came before it')
    assert.equal(hidden.snapshot, `${T}@tsez-20261206T070000Z`)
  })

  describe('the record', () => {
    let dbdir: string
    beforeEach(async () => {
      dbdir = await mkdtemp(path.join(tmpdir(), 'tsez-snapshot-record-'))
    })
    afterEach(async () => rm(dbdir, {recursive: true, force: true}))

    const cases: Array<[string, string, string | undefined]> = [
      ['a tsez snapshot of the newjail', JSON.stringify({version: 1, snapshot: `${T}@tsez-1`}), `${T}@tsez-1`],
      ['another version', JSON.stringify({version: 2, snapshot: `${T}@tsez-1`}), undefined],
      ['not JSON', '{"version":1,"snap', undefined],
      ['JSON null', 'null', undefined],
      ['a snapshot by hand', JSON.stringify({version: 1, snapshot: `${T}@by-hand`}), undefined],
      ['another dataset', JSON.stringify({version: 1, snapshot: 'tank/other@tsez-1'}), undefined],
      ['a space in the name', JSON.stringify({version: 1, snapshot: `${T}@tsez-1 -R x`}), undefined],
      ['two @', JSON.stringify({version: 1, snapshot: `${T}@tsez-1@x`}), undefined],
      ['a number', JSON.stringify({version: 1, snapshot: 1}), undefined],
    ]
    for (const [what, text, expected] of cases) {
      it(`${what}: ${expected === undefined ? 'none' : 'read'}`, async () => {
        const local = settings(dbdir)
        await writeFile(snapshotRecordFile(local), text)
        assert.equal(await readSnapshotRecord(local), expected)
      })
    }

    it('missing: none', async () => {
      assert.equal(await readSnapshotRecord(settings(dbdir)), undefined)
    })
  })
})
