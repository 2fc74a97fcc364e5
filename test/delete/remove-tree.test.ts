import assert from 'node:assert/strict'
import {execFile} from 'node:child_process'
import {symlinkSync} from 'node:fs'
import {lstat, mkdir, mkdtemp, readFile, symlink, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {promisify} from 'node:util'

import {findOtherDevice, removeTreeOnOneDevice} from '../../src/delete/remove-tree.js'
import {plantChain, plantOddNames, removeAll, under} from '../hostile/trees.js'

const exec = promisify(execFile)
const isRoot = process.getuid?.() === 0
const exists = async (p: string | Buffer) => (await lstat(p).catch(() => undefined)) !== undefined
/** Entries under DIR, DIR included, counted by find (which walks any depth): what a removal must report. */
const countEntries = async (dir: string) =>
  (await exec('find', [dir, '-printf', '.'], {maxBuffer: 64 << 20})).stdout.length

describe('delete/remove-tree', () => {
  let work: string
  let root: string
  let outside: string
  beforeEach(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'tsez-remove-'))
    root = path.join(work, 'root')
    outside = path.join(work, 'outside')
    await mkdir(root)
    await mkdir(outside)
    await writeFile(path.join(outside, 'precious'), 'host data\n')
  })
  afterEach(async () => removeAll(work))

  it('removes names that are not UTF-8, hold newlines or backslashes, or start with a dash', async () => {
    await plantOddNames(root)
    await mkdir(under(root, Buffer.from([0xff]), Buffer.from('-n'), Buffer.from([0x80, 0x0a])), {recursive: true})
    const entries = await countEntries(root)
    const cwd = process.cwd()
    assert.equal(findOtherDevice(root), undefined)
    assert.equal(removeTreeOnOneDevice(root), entries)
    assert.equal(await exists(root), false)
    assert.equal(process.cwd(), cwd, 'the working directory is restored')
  })

  it('removes a chain of directories deeper than PATH_MAX (300 levels of 50-byte names)', async () => {
    plantChain(root, 300, Buffer.from('d'.repeat(50)))
    assert.equal(findOtherDevice(root), undefined)
    assert.equal(removeTreeOnOneDevice(root), 300 + 2)
    assert.equal(await exists(root), false)
  })

  it('removes a chain deeper than PATH_MAX whose names are not UTF-8, and one 12000 levels deep (no recursion)', async () => {
    plantChain(root, 100, Buffer.from([0xff, ...Buffer.from('e'.repeat(48)), 0xfe]))
    plantChain(root, 12000, Buffer.from('z'))
    assert.equal(findOtherDevice(root), undefined)
    assert.equal(removeTreeOnOneDevice(root), 100 + 1 + 12000 + 1 + 1)
    assert.equal(await exists(root), false)
  })

  it('removes symlinks, never what they point at, at any depth and under any name', async () => {
    await symlink(outside, path.join(root, 'link-out'))
    await symlink(path.join(outside, 'precious'), under(root, Buffer.from([0x70, 0xff])))
    await symlink('../../..', path.join(root, 'up'))
    // At the bottom of a chain, out of reach of any absolute path: a symlink to the outside directory.
    plantChain(root, 120, Buffer.from('c'.repeat(50)), () => symlinkSync(outside, 'out'))
    removeTreeOnOneDevice(root)
    assert.equal(await exists(root), false)
    assert.equal(await readFile(path.join(outside, 'precious'), 'utf8'), 'host data\n')
  })

  it('refuses a root that is a symlink', async () => {
    const linked = path.join(work, 'linked')
    await symlink(outside, linked)
    assert.throws(() => removeTreeOnOneDevice(linked), /is not a directory \(a symlink\?\); remove it by hand/)
    assert.ok(await exists(path.join(outside, 'precious')))
  })

  describe('with a file system mounted inside (tmpfs)', () => {
    // The mount point lies below a directory whose name is 0xff, which sh makes; it is unmounted by its source.
    const source = `tsez-test-${process.pid}`
    let mounted = false
    beforeEach(async function () {
      if (!isRoot) this.skip() // mount(2) needs root
      await writeFile(path.join(root, 'before'), 'x\n')
      const point = '"$1"/"$(printf "d\\377")"/-mnt'
      try {
        await exec('sh', ['-c', `mkdir -p ${point} && mount -t tmpfs "$2" ${point}`, 'sh', root, source])
      } catch {
        this.skip() // no mounts in this container
      }
      mounted = true
      await exec('sh', ['-c', `echo mounted > ${point}/inside`, 'sh', root])
    })
    afterEach(async () => {
      if (mounted) await exec('umount', [source])
      mounted = false
    })

    it('findOtherDevice reports it, and the removal refuses to enter it and keeps its content', async () => {
      assert.match(findOtherDevice(root) ?? '', /\/root\/d\uFFFD\/-mnt$/)
      assert.throws(
        () => removeTreeOnOneDevice(root),
        /root\/d\uFFFD\/-mnt is on another file system \(mounted\?\); unmount it and run delete again/,
      )
      // The removal renamed the directory it could not chdir into by its name; the mount's content is intact.
      const inside = await exec('find', [root, '-name', 'inside', '-exec', 'cat', '{}', ';'])
      assert.equal(inside.stdout, 'mounted\n')
    })
  })
})
