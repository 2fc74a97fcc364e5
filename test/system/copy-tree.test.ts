import assert from 'node:assert/strict'
import {execFile} from 'node:child_process'
import {copyFileSync, linkSync, mkdirSync, symlinkSync, writeFileSync} from 'node:fs'
import {
  chmod,
  chown,
  link,
  lstat,
  mkdir,
  mkdtemp,
  readFile,
  readdir,
  rename,
  symlink,
  utimes,
  writeFile,
  lutimes,
} from 'node:fs/promises'
import {once} from 'node:events'
import {createServer} from 'node:net'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {promisify} from 'node:util'

import {copyTree, type CopySpecials} from '../../src/system/copy-tree.js'
import {diffTrees, snapshotTree} from '../support/tree.js'
import {listTree, plantChain, plantOddNames, readChainLeaf, removeAll, under} from '../hostile/trees.js'

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

describe('system/copy-tree', () => {
  let work: string
  beforeEach(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'tsez-copy-'))
  })
  afterEach(async () => removeAll(work))

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

  it('refuses FIFOs and sockets; with specials lists the FIFOs to make and leaves sockets out, by path', async () => {
    const source = path.join(work, 'src')
    await mkdir(path.join(source, 'var/run'), {recursive: true})
    await exec('mkfifo', ['-m', '0620', path.join(source, 'var/run/fifo')])
    const when = new Date('2025-06-01T12:00:00Z')
    await utimes(path.join(source, 'var/run/fifo'), when, when)
    const server = createServer().listen(path.join(source, 'var/run/sock'))
    await once(server, 'listening')
    try {
      assert.throws(() => copyTree(source, path.join(work, 'refused')), /FIFOs and sockets are not copied/)
      const specials: CopySpecials = {fifos: [], skipped: []}
      copyTree(source, path.join(work, 'dest'), {specials})
      const [fifo] = specials.fifos
      assert.deepEqual(specials.fifos.length, 1)
      assert.equal(fifo?.path, 'var/run/fifo')
      assert.equal(fifo?.mode, 0o620)
      assert.equal(fifo?.mtime.getTime(), when.getTime())
      assert.deepEqual(specials.skipped, [path.join(source, 'var/run/sock')])
      assert.deepEqual((await readdir(path.join(work, 'dest/var/run'))).sort(), [], 'neither is made by the copy')
    } finally {
      server.close()
    }
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

  describe('names and depths a file system allows', () => {
    const chainName = Buffer.from('c'.repeat(50))
    /** Files, symlinks and directories under DIR (DIR included) as find counts them. */
    const counts = async (dir: string) => {
      const types = (await exec('find', [dir, '-printf', '%y'], {maxBuffer: 64 << 20})).stdout
      const count = (type: string) => [...types].filter((t) => t === type).length
      return {files: count('f'), symlinks: count('l'), directories: count('d')}
    }

    it('copies names that are not UTF-8, hold newlines or backslashes, or start with a dash, byte for byte', async () => {
      const source = path.join(work, 'src')
      await mkdir(source)
      await plantOddNames(source)
      const stats = copyTree(source, path.join(work, 'dest'))
      assert.deepEqual(await listTree(path.join(work, 'dest')), await listTree(source))
      const name = Buffer.from([0x64, 0x66, 0xff, 0xfe]) // d + f\xff\xfe, holding a file 0xc3 0x28
      assert.equal(await readFile(under(work, 'dest', name, Buffer.from([0xc3, 0x28])), 'utf8'), 'inner 0\n')
      const found = await counts(source)
      assert.equal(stats.files + stats.hardLinks, found.files)
      assert.equal(stats.hardLinks, 1)
      assert.equal(stats.symlinks, found.symlinks)
      assert.equal(stats.directories, found.directories)
    })

    it('copies a chain deeper than PATH_MAX, with odd names, hard links and symlinks at the bottom', async () => {
      const source = path.join(work, 'src')
      await mkdir(source)
      await writeFile(path.join(source, 'top'), 'linked from the bottom\n')
      plantChain(source, 300, chainName, () => {
        writeFileSync('leaf', 'bottom\n')
        mkdirSync(Buffer.from([0xff, 0x2d]))
        writeFileSync(Buffer.from([0xff, 0x2d, 0x2f, 0x0a]), 'odd\n')
        linkSync(path.join(source, 'top'), 'top-link')
        linkSync('leaf', Buffer.from([0x80]))
        symlinkSync('../../..', 'up')
      })
      const stats = copyTree(source, path.join(work, 'dest'))
      assert.deepEqual(await listTree(path.join(work, 'dest')), await listTree(source))
      assert.equal(await readChainLeaf(path.join(work, 'dest'), 300, chainName), 'bottom\n')
      assert.deepEqual([stats.files, stats.hardLinks, stats.symlinks, stats.directories], [3, 2, 1, 1 + 300 + 1])
    })

    it('overlays into directories deeper than PATH_MAX, keeping theirs modes', async () => {
      const [flavour, root] = [path.join(work, 'flavour'), path.join(work, 'root')]
      await mkdir(flavour)
      await mkdir(root)
      plantChain(flavour, 200, chainName, () => writeFileSync('added', 'flavoured\n'))
      plantChain(root, 200, chainName)
      await exec('chmod', ['-R', 'go-rwx', root])
      await chmod(root, 0o755)
      copyTree(flavour, root, {overlay: true})
      const listing = (await listTree(root)).toString('latin1').split('\0')
      assert.equal(listing.filter((l) => /\/(leaf|added)$/.test(l)).length, 2)
      assert.ok(
        listing.filter((l) => l.startsWith('d ')).every((l) => l.startsWith('d 700 ')),
        'existing modes kept',
      )
      assert.equal(await readChainLeaf(root, 200, chainName), 'bottom\n')
    })

    it('refuses, by name, a directory whose name is not UTF-8 with a path too long for a system call below it', async () => {
      const source = path.join(work, 'src')
      await mkdir(path.join(source, 'ok/plain'), {recursive: true})
      plantChain(path.join(source, 'ok/plain'), 30, chainName)
      await rename(path.join(source, 'ok/plain'), under(source, 'ok', Buffer.from([0xff])))
      assert.throws(
        () => copyTree(source, path.join(work, 'dest')),
        /cannot copy .*ok\/\udcff(\/c+)+: more than 1023 bytes of path below a directory whose name is not UTF-8/,
      )
    })
  })

  it('keeps the holes of a sparse file', async () => {
    const source = path.join(work, 'src')
    await mkdir(source)
    const sparse = path.join(source, 'disk.img')
    await exec('truncate', ['-s', '256M', sparse])
    await exec('sh', ['-c', 'printf data | dd of="$1" bs=1 seek=100000000 conv=notrunc 2>/dev/null', 'sh', sparse])
    const stats = copyTree(source, path.join(work, 'dest'))
    const copied = await lstat(path.join(work, 'dest/disk.img'))
    assert.equal(copied.size, 256 << 20)
    assert.ok(copied.blocks * 512 <= 1 << 20, `${copied.blocks} blocks allocated`)
    await exec('cmp', [sparse, path.join(work, 'dest/disk.img')])
    assert.equal(stats.bytes, 256 << 20)
  })
})
