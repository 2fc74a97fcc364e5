// src/system/zfs.ts against the fake zfs: the argv of each call and what it leaves in the pool.
import assert from 'node:assert/strict'
import {mkdir, mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {createFakeHost, type FakeHost} from '../fixtures/fake-host.js'
import {fakeHostRunner} from '../support/fake-host-runner.js'
import * as zfs from '../../src/system/zfs.js'

describe('system/zfs', function () {
  let host: FakeHost
  let work: string
  let fake: ReturnType<typeof fakeHostRunner>

  beforeEach(async function () {
    host = await createFakeHost()
    work = await mkdtemp(join(tmpdir(), 'tsez-zfs-'))
    host.set('zfs.datasets', `zroot\t${work}/pool\nzroot/tsez\t-\n`)
    fake = fakeHostRunner(host)
  })

  afterEach(async function () {
    await host.cleanup()
    await rm(work, {recursive: true, force: true})
  })

  it('creates, snapshots, lists, clones, rolls back and destroys with one argv each', async function () {
    const run = fake.runner
    await zfs.createDataset(run, 'zroot/tsez/newjail', `${work}/newjail`, ['compression=lz4'])
    assert.equal(await zfs.datasetAt(run, `${work}/newjail/`), 'zroot/tsez/newjail')
    assert.equal(await zfs.datasetAt(run, `${work}`), undefined)
    await writeFile(join(work, 'newjail/file'), 'one')
    assert.equal(await zfs.snapshot(run, 'zroot/tsez/newjail', 'a'), 'zroot/tsez/newjail@a')
    await zfs.snapshot(run, 'zroot/tsez/newjail', 'b')
    assert.deepEqual(
      (await zfs.listSnapshots(run, 'zroot/tsez/newjail')).map((s) => s.name),
      ['a', 'b'],
    )
    await zfs.cloneSnapshot(run, 'zroot/tsez/newjail@a', 'zroot/tsez/web1', [`mountpoint=${work}/web1`, 'quota=1G'])
    assert.equal(await readFile(join(work, 'web1/file'), 'utf8'), 'one')
    assert.equal(await zfs.originOf(run, 'zroot/tsez/web1'), 'zroot/tsez/newjail@a')
    assert.equal(await zfs.originOf(run, 'zroot/tsez/newjail'), undefined)
    assert.deepEqual(await zfs.clonesOf(run, 'zroot/tsez/newjail@a'), ['zroot/tsez/web1'])
    assert.deepEqual(await zfs.clonesOf(run, 'zroot/tsez/newjail@b'), [])
    await assert.rejects(zfs.destroy(run, 'zroot/tsez/newjail@a'), /dependent clones/)
    await writeFile(join(work, 'newjail/file'), 'two')
    await assert.rejects(zfs.rollback(run, 'zroot/tsez/newjail@a', {destroyLater: false}), /more recent snapshots/)
    await zfs.rollback(run, 'zroot/tsez/newjail@a', {destroyLater: true})
    assert.equal(await readFile(join(work, 'newjail/file'), 'utf8'), 'one')
    await zfs.rename(run, 'zroot/tsez/web1', 'zroot/tsez/web2')
    assert.equal(await zfs.datasetExists(run, 'zroot/tsez/web2'), true)
    await zfs.destroy(run, 'zroot/tsez/web2')
    assert.equal(await zfs.datasetExists(run, 'zroot/tsez/web2'), false)
    assert.deepEqual(
      fake.calls.filter((c) => c.args[0] !== 'list' && c.args[0] !== 'get').map((c) => c.args.join(' ')),
      [
        `create -o mountpoint=${work}/newjail -o compression=lz4 zroot/tsez/newjail`,
        'snapshot zroot/tsez/newjail@a',
        'snapshot zroot/tsez/newjail@b',
        `clone -o mountpoint=${work}/web1 -o quota=1G zroot/tsez/newjail@a zroot/tsez/web1`,
        'destroy zroot/tsez/newjail@a',
        'rollback zroot/tsez/newjail@a',
        'rollback -r zroot/tsez/newjail@a',
        'rename zroot/tsez/web1 zroot/tsez/web2',
        'destroy zroot/tsez/web2',
      ],
    )
  })

  it('reads ZFS sizes as zfs does', function () {
    for (const good of ['10G', '512M', '1.5T', '20GB', '100', '2GiB', '1k'])
      assert.equal(zfs.isZfsSize(good), true, good)
    for (const bad of ['', '0', '0G', '-1G', '10X', 'G', '1.G', '10 G', 'none', '1e9', '10G;rm']) {
      assert.equal(zfs.isZfsSize(bad), false, bad)
    }
  })

  it('datasetAt is undefined when zfs fails', async function () {
    host.set('zfs.fail', 'list')
    await mkdir(join(work, 'x'))
    assert.equal(await zfs.datasetAt(fake.runner, join(work, 'x')), undefined)
  })
})
