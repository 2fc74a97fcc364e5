import assert from 'node:assert/strict'
import {execFile} from 'node:child_process'
import {copyFileSync} from 'node:fs'
import {
  chmod,
  chown,
  link,
  lstat,
  mkdir,
  mkdtemp,
  readFile,
  rm,
  symlink,
  utimes,
  writeFile,
  lutimes,
} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {promisify} from 'node:util'

import {copyTree} from '../../src/system/copy-tree.js'
import {diffTrees, snapshotTree} from '../support/tree.js'

const isRoot = process.getuid?.() === 0
const exec = promisify(execFile)

/** A small tree with every kind of entry a newjail holds, owned by several users, with old mtimes. */
async function makeSource(root: string): Promise<void> {
  const when = new Date('2025-06-01T12:00:00Z')
  await mkdir(path.join(root, 'etc/ssh'), {recursive: true})
  await mkdir(path.join(root, 'tmp'))
  await mkdir(path.join(root, 'var/mail'), {recursive: true})
  await writeFile(path.join(root, 'etc/motd'), 'welcome\n')
  await writeFile(path.join(root, 'etc/ssh/sshd_config'), 'PermitRootLogin no\n')
  await writeFile(path.join(root, 'etc/master.passwd'), 'root:*:0:0::0:0:Charlie &:/root:/bin/sh\n')
  await writeFile(path.join(root, 'su'), 'setuid program\n')
  await writeFile(path.join(root, 'wall'), 'setgid program\n')
  await link(path.join(root, 'su'), path.join(root, 'etc/su-link'))
  await link(path.join(root, 'su'), path.join(root, 'var/su-link2'))
  await symlink('/basejail/bin', path.join(root, 'bin'))
  await symlink('../etc/motd', path.join(root, 'var/motd-link'))
  await chown(path.join(root, 'var/mail'), 0, 6)
  await chmod(path.join(root, 'var/mail'), 0o775)
  await chown(path.join(root, 'wall'), 0, 5)
  await chmod(path.join(root, 'wall'), 0o2555)
  await chmod(path.join(root, 'su'), 0o4555)
  await chmod(path.join(root, 'tmp'), 0o1777)
  await chmod(path.join(root, 'etc/master.passwd'), 0o600)
  await chown(path.join(root, 'etc/motd'), 1001, 1002)
  await lutimes(path.join(root, 'bin'), when, when)
  await lutimes(path.join(root, 'var/motd-link'), when, when)
  for (const rel of ['etc/motd', 'etc/ssh/sshd_config', 'etc/master.passwd', 'su', 'wall']) {
    await utimes(path.join(root, rel), when, when)
  }
  for (const rel of ['etc/ssh', 'etc', 'tmp', 'var/mail', 'var', '.']) await utimes(path.join(root, rel), when, when)
}

describe('copyTree', () => {
  let work: string
  beforeEach(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'tsez-copy-'))
  })
  afterEach(async () => rm(work, {recursive: true, force: true}))

  it('copies exactly what cp -a copies: types, modes, owners, mtimes, symlink targets, hard links', async function () {
    if (!isRoot) this.skip() // owners other than the caller need root
    const source = path.join(work, 'src')
    await mkdir(source)
    await makeSource(source)
    await exec('cp', ['-a', source, path.join(work, 'cp')])
    const stats = copyTree(source, path.join(work, 'ours'))
    const expected = await snapshotTree(path.join(work, 'cp'))
    const actual = await snapshotTree(path.join(work, 'ours'))
    assert.deepEqual(diffTrees(expected, actual), [])
    assert.equal(actual.get('su')?.mode, 0o4555)
    assert.equal(actual.get('wall')?.mode, 0o2555)
    assert.equal(actual.get('tmp')?.mode, 0o1777)
    assert.equal(actual.get('etc/motd')?.uid, 1001)
    assert.equal(actual.get('var/su-link2')?.linkGroup, 'etc/su-link')
    assert.equal(actual.get('bin')?.target, '/basejail/bin')
    assert.deepEqual([stats.files, stats.hardLinks, stats.symlinks, stats.directories], [5, 2, 2, 6])
  })

  it('keeps modes the umask would mask: copyFile gives the copy its source mode, chmod is only for setuid/setgid', async () => {
    const source = path.join(work, 'src')
    await mkdir(source)
    await writeFile(path.join(source, 'shared'), 'x\n')
    await chmod(path.join(source, 'shared'), 0o666)
    const previous = process.umask(0o077)
    try {
      copyTree(source, path.join(work, 'dest'))
    } finally {
      process.umask(previous)
    }
    assert.equal((await lstat(path.join(work, 'dest/shared'))).mode & 0o7777, 0o666)
  })

  it('refuses an existing destination unless overlaying', async () => {
    const source = path.join(work, 'src')
    await mkdir(path.join(source, 'etc'), {recursive: true})
    await writeFile(path.join(source, 'etc/rc.conf'), 'new\n')
    const dest = path.join(work, 'dest')
    await mkdir(dest)
    assert.throws(() => copyTree(source, dest), /EEXIST/)
  })

  it('overlays without writing through a symlink in the destination', async () => {
    const source = path.join(work, 'flavour')
    await mkdir(path.join(source, 'etc'), {recursive: true})
    await writeFile(path.join(source, 'etc/rc.conf'), 'flavoured\n')
    await writeFile(path.join(source, 'README.md'), 'about\n')
    await chmod(path.join(source, 'etc/rc.conf'), 0o640)
    const outside = path.join(work, 'outside.conf')
    await writeFile(outside, 'host data\n')
    const dest = path.join(work, 'root')
    await mkdir(path.join(dest, 'etc'), {recursive: true})
    await chmod(path.join(dest, 'etc'), 0o751)
    await symlink(outside, path.join(dest, 'etc/rc.conf'))
    copyTree(source, dest, {overlay: true, skip: (rel) => rel === 'README.md'})
    assert.equal(await readFile(outside, 'utf8'), 'host data\n')
    assert.equal(await readFile(path.join(dest, 'etc/rc.conf'), 'utf8'), 'flavoured\n')
    assert.equal((await lstat(path.join(dest, 'etc/rc.conf'))).mode & 0o7777, 0o640)
    assert.equal((await lstat(path.join(dest, 'etc'))).mode & 0o7777, 0o751, 'existing directories keep their mode')
    await assert.rejects(lstat(path.join(dest, 'README.md')), /ENOENT/)
  })

  it('refuses to overlay a directory onto a symlink', async () => {
    const source = path.join(work, 'flavour')
    await mkdir(path.join(source, 'bin'), {recursive: true})
    await writeFile(path.join(source, 'bin/tool'), 'x\n')
    const dest = path.join(work, 'root')
    await mkdir(path.join(work, 'elsewhere'))
    await mkdir(dest)
    await symlink(path.join(work, 'elsewhere'), path.join(dest, 'bin'))
    assert.throws(() => copyTree(source, dest, {overlay: true}), /not a directory/)
    await assert.rejects(lstat(path.join(work, 'elsewhere/tool')), /ENOENT/)
  })

  it('stops at the first failing copy and reports it (a full disk)', async () => {
    const source = path.join(work, 'src')
    await mkdir(source)
    for (let i = 0; i < 40; i++) await writeFile(path.join(source, `f${i}`), `${i}\n`)
    let calls = 0
    const failing = {
      copyFile: (from: string, to: string) => {
        calls++
        if (calls === 5) throw Object.assign(new Error('ENOSPC: no space left on device'), {code: 'ENOSPC'})
        copyFileSync(from, to)
      },
    }
    assert.throws(() => copyTree(source, path.join(work, 'dest'), {fs: failing}), /ENOSPC/)
    assert.equal(calls, 5, 'copying stops at the failure')
  })
})
