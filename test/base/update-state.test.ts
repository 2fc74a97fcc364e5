// freebsd-update's state for a basedir, found and dropped where freebsd-update.sh keeps it.
import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {mkdir, mkdtemp, readdir, rm, symlink, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {
  discardPendingInstall,
  forgetBasedir,
  hasHalfDoneInstall,
  pendingInstallPath,
  rollbackPath,
} from '../../src/base/update-state.js'
import {seedStateEntry} from '../support/update-state.js'

describe('base/update-state', () => {
  let workdir: string
  beforeEach(async () => {
    workdir = await mkdtemp(path.join(tmpdir(), 'tsez-pending-'))
  })
  afterEach(async () => rm(workdir, {recursive: true, force: true}))

  it('is named as freebsd-update.sh names it: sha256 of `echo BASEDIR`', () => {
    const shell = execFileSync('sh', ['-c', 'echo /usr/jails/basejail | sha256sum'], {encoding: 'utf8'}).slice(0, 64)
    assert.equal(pendingInstallPath('/w', '/usr/jails/basejail'), `/w/${shell}-install`)
  })

  it('is half done once a phase mark is in, and is dropped with the directory it links to', async () => {
    const pending = pendingInstallPath(workdir, '/b')
    assert.equal(await hasHalfDoneInstall(workdir, '/b'), false, 'nothing pending')
    await mkdir(path.join(workdir, 'install.abc123'))
    await writeFile(path.join(workdir, 'install.abc123/INDEX-NEW'), '')
    await symlink('install.abc123', pending)
    assert.equal(await hasHalfDoneInstall(workdir, '/b'), false, 'fetched, not begun')
    await writeFile(path.join(workdir, 'install.abc123/kerneldone'), '')
    assert.equal(await hasHalfDoneInstall(workdir, '/b'), true)
    assert.equal(await hasHalfDoneInstall(workdir, '/other'), false, 'another basedir')

    await mkdir(path.join(workdir, 'files'))
    await discardPendingInstall(workdir, '/b')
    assert.deepEqual(await readdir(workdir), ['files'])
    await discardPendingInstall(workdir, '/b') // nothing left: no error
  })

  it('forgets both the pending install and the rollback of a basedir, and nothing of another', async () => {
    for (const [basedir, name] of [
      ['/staging', 'install.one'],
      ['/staging', 'rollback.two'],
      ['/b', 'install.three'],
    ]) {
      const entry = name!.startsWith('rollback')
        ? rollbackPath(workdir, basedir!)
        : pendingInstallPath(workdir, basedir!)
      await seedStateEntry(workdir, entry, name!)
    }
    await forgetBasedir(workdir, '/staging')
    assert.deepEqual(
      (await readdir(workdir)).sort(),
      [path.basename(pendingInstallPath(workdir, '/b')), 'install.three'].sort(),
    )
  })

  it('never removes what a link outside the workdir points to', async () => {
    const outside = await mkdtemp(path.join(tmpdir(), 'tsez-outside-'))
    try {
      await writeFile(path.join(outside, 'keep'), '')
      await symlink(outside, pendingInstallPath(workdir, '/b'))
      await discardPendingInstall(workdir, '/b')
      assert.deepEqual([await readdir(workdir), await readdir(outside)], [[], ['keep']])
    } finally {
      await rm(outside, {recursive: true, force: true})
    }
  })
})
