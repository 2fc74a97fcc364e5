// Hostile create input on ZFS: bad --quota values, --quota without ZFS, a dataset already under the jail's name.
import assert from 'node:assert/strict'
import {lstat, mkdir, readFile, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {tsez} from '../support/cli.js'
import {createInstalledHost, type InstalledHost} from '../support/installed-host.js'
import {ZFS_PARENT, useZfs, zfsChanges} from '../support/zfs-host.js'

describe('hostile: tsez create on ZFS', function () {
  let host: InstalledHost
  before(async function () {
    host = await useZfs(await createInstalledHost())
  })
  after(async () => host?.cleanup())

  const noJail = async () =>
    assert.equal(await lstat(path.join(host.dirs.jaildir, 'web1')).catch(() => undefined), undefined)

  for (const bad of [
    '',
    '0',
    '-1G',
    '10X',
    'G',
    '1.G',
    '10 G',
    '1e9',
    '10G;rm -rf /',
    '$(reboot)',
    'none',
    '\u001b[31m1G',
  ]) {
    it(`refuses --quota ${JSON.stringify(bad)} with one line, exit 2, nothing made`, async function () {
      const refused = await tsez(['create', `--quota=${bad}`, 'web1', '10.0.0.1'], host.env)
      assert.equal(refused.exitCode, 2, refused.stderr)
      assert.match(refused.stderr, /--quota ".*" is not a ZFS size/)
      assert.equal(refused.stderr.trimEnd().split('\n').length, 1, refused.stderr)
      assert.ok(!refused.stderr.includes('\u001b'), 'no escape reaches the terminal')
      assert.deepEqual(zfsChanges(host), [])
      await noJail()
    })
  }

  it("refuses a dataset already under the jail's name, and never touches it", async function () {
    const foreign = path.join(host.root, 'foreign')
    await mkdir(foreign)
    await writeFile(path.join(foreign, 'data'), 'precious')
    const pool = host.fake.read('zfs.datasets') ?? ''
    host.fake.set('zfs.datasets', `${pool}${ZFS_PARENT}/web1\t${foreign}\n`)
    const refused = await tsez(['create', 'web1', '10.0.0.1'], host.env)
    assert.equal(refused.exitCode, 2)
    assert.match(refused.stderr, /dataset zroot\/tsez\/web1 exists already and is not a tsez jail/)
    assert.deepEqual(zfsChanges(host), [])
    assert.equal(await readFile(path.join(foreign, 'data'), 'utf8'), 'precious')
    await noJail()
    host.fake.set('zfs.datasets', pool)
  })
})

describe('hostile: tsez create --quota on UFS', function () {
  let host: InstalledHost
  before(async function () {
    host = await createInstalledHost()
  })
  after(async () => host?.cleanup())

  it('refuses --quota on UFS, saying how to enable ZFS; exit 2, nothing made', async function () {
    const refused = await tsez(['create', '--quota', '10G', 'web1', '10.0.0.1'], host.env)
    assert.equal(refused.exitCode, 2)
    assert.match(refused.stderr, /--quota needs ZFS: set tsez_use_zfs="YES" and tsez_zfs_parent/)
    assert.deepEqual(host.fake.calls('zfs'), [])
    assert.equal(await lstat(path.join(host.dirs.jaildir, 'web1')).catch(() => undefined), undefined)
  })
})
