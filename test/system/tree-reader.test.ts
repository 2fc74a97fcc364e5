import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import * as fs from 'node:fs'
import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {doorTo, enterDirectory, inDirectory} from '../../src/system/cwd-walk.js'
import {JailReader, components, openRegularFile} from '../../src/system/tree-reader.js'
import {plantChain} from '../hostile/trees.js'

const b = (text: string) => Buffer.from(text)
const NOT_UTF8 = Buffer.from([0x64, 0xff]) // "d" and a byte no UTF-8 text holds

describe('system/tree-reader: a jail tree read while it changes', () => {
  let dir: string
  let root: string
  let outside: string
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'tsez-tree-reader-'))
    root = path.join(dir, 'jail')
    outside = path.join(dir, 'host')
    fs.mkdirSync(path.join(root, 'etc/ssh'), {recursive: true})
    fs.writeFileSync(path.join(root, 'etc/ssh/sshd_config'), 'jail\n')
    fs.mkdirSync(outside)
    fs.writeFileSync(path.join(outside, 'secret'), 'host\n')
  })
  afterEach(async () => rm(dir, {recursive: true, force: true}))

  it('splits a path into its names', () => {
    assert.deepEqual(components(b('a/b c/d')).map(String), ['a', 'b c', 'd'])
    assert.deepEqual(components(b('top')).map(String), ['top'])
  })

  it('reaches a name through real directories, and gives the working directory back', () => {
    const home = process.cwd()
    const reader = new JailReader(root)
    const reached = reader.at(b('etc/ssh/sshd_config'), (name) => [name.toString(), process.cwd()])
    assert.deepEqual(reached, {value: ['sshd_config', fs.realpathSync(path.join(root, 'etc/ssh'))]})
    assert.equal(process.cwd(), home)
    assert.equal(reader.lstat(b('etc/ssh/sshd_config'))?.size, 5)
  })

  it('never goes through a symlink: a directory the jail swapped for a link to the host is not there', () => {
    fs.symlinkSync(outside, path.join(root, 'mnt'))
    fs.symlinkSync('../../host', path.join(root, 'etc/rel'))
    const reader = new JailReader(root)
    let called = false
    for (const rel of ['mnt/secret', 'etc/rel/secret']) {
      assert.deepEqual(
        reader.at(b(rel), () => (called = true)),
        {unreachable: 'gone'},
      )
      assert.equal(reader.lstat(b(rel)), undefined)
    }
    assert.equal(called, false)
    assert.ok(reader.lstat(b('mnt'))?.isSymbolicLink(), 'the link itself is seen as a link')
  })

  it('a file where a directory was, or nothing: gone; a directory named in bytes that are not UTF-8: not-utf8', () => {
    fs.writeFileSync(path.join(root, 'plain'), '')
    fs.mkdirSync(Buffer.concat([b(`${root}/`), NOT_UTF8]))
    fs.writeFileSync(Buffer.concat([b(`${root}/`), NOT_UTF8, b('/inside')]), '')
    const reader = new JailReader(root)
    assert.deepEqual(
      reader.at(b('plain/x'), () => 1),
      {unreachable: 'gone'},
    )
    assert.deepEqual(
      reader.at(b('missing/x'), () => 1),
      {unreachable: 'gone'},
    )
    assert.deepEqual(
      reader.at(Buffer.concat([NOT_UTF8, b('/inside')]), () => 1),
      {unreachable: 'not-utf8'},
    )
    assert.ok(reader.lstat(NOT_UTF8)?.isDirectory(), 'the directory itself is reached by its name')
  })

  it('enterAnyName: enters a directory named in bytes that are not UTF-8 through a door, and gives the cwd back', () => {
    const odd = Buffer.concat([b(`${root}/`), NOT_UTF8])
    fs.mkdirSync(odd)
    fs.writeFileSync(Buffer.concat([odd, b('/inside')]), 'odd\n')
    const home = process.cwd()
    const reader = new JailReader(root, {enterAnyName: true})
    const inside = reader.at(Buffer.concat([NOT_UTF8, b('/inside')]), (name) => fs.readFileSync(name, 'utf8'))
    assert.deepEqual(inside, {value: 'odd\n'})
    assert.equal(process.cwd(), home)
    const listed = reader.list(NOT_UTF8)
    assert.ok('value' in listed)
    assert.deepEqual(
      listed.value.map((entry) => entry.name.toString()),
      ['inside'],
    )
    const door = fs.readdirSync(tmpdir()).find((name) => name.startsWith(`tsez-door-${process.pid}-`))
    assert.ok(door !== undefined, "this process's door directory")
    assert.equal(fs.statSync(path.join(tmpdir(), door)).mode & 0o777, 0o700)
  })

  it('enterAnyName: a directory so named whose absolute path passes 1023 bytes has no door: not-utf8', () => {
    plantChain(root, 6, Buffer.alloc(200, 0xff))
    const level = (n: number) => Buffer.concat(Array.from({length: n}, () => [Buffer.alloc(200, 0xff), b('/')]).flat())
    const reader = new JailReader(root, {enterAnyName: true})
    const shallow = reader.list(level(2).subarray(0, -1))
    assert.ok('value' in shallow, 'two levels down: entered through a door')
    assert.deepEqual(reader.list(level(6).subarray(0, -1)), {unreachable: 'not-utf8'})
  })

  it('a door leads only where the walk lstat-ed: a directory swapped for a symlink to the host is refused', () => {
    const odd = Buffer.concat([b(`${root}/`), NOT_UTF8])
    fs.mkdirSync(odd)
    const seen = fs.lstatSync(odd)
    // The jail's owner swaps the directory for a symlink to the host between the walk's lstat and its chdir
    fs.renameSync(odd, path.join(dir, 'moved'))
    fs.symlinkSync(outside, odd)
    const home = process.cwd()
    assert.throws(
      () =>
        inDirectory(root, fs.lstatSync(root), () =>
          enterDirectory(doorTo(odd) ?? assert.fail('no door'), seen, () => 'jail/d'),
        ),
      /jail\/d changed while tsez was walking it/,
    )
    assert.equal(process.cwd(), home)
    assert.deepEqual(
      new JailReader(root, {enterAnyName: true}).at(Buffer.concat([NOT_UTF8, b('/secret')]), () => 1),
      {
        unreachable: 'gone',
      },
    )
  })

  it("a door directory left by a killed process is removed by the next process's first door; a live one's is kept", () => {
    const dead = fs.mkdtempSync(path.join(tmpdir(), 'tsez-door-999999999-'))
    const live = fs.mkdtempSync(path.join(tmpdir(), `tsez-door-${process.pid}-`))
    try {
      const module = path.resolve('src/system/cwd-walk.ts')
      const script = `const {doorTo} = await import(${JSON.stringify(module)}); console.log(doorTo(Buffer.from('/')))`
      const door = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        encoding: 'utf8',
      }).trim()
      assert.match(door, /tsez-door-\d+-\w+\/door$/)
      assert.equal(fs.existsSync(path.dirname(door)), false, 'its own door directory went when it exited')
      assert.equal(fs.existsSync(dead), false, 'the dead process door directory was removed')
      assert.equal(fs.existsSync(live), true, 'a live process door directory is kept')
    } finally {
      fs.rmSync(live, {recursive: true, force: true})
      fs.rmSync(dead, {recursive: true, force: true})
    }
  })

  it('lists what is below a directory, links as links, and names a directory it cannot enter', () => {
    fs.symlinkSync(outside, path.join(root, 'etc/ssh/host-link'))
    fs.mkdirSync(Buffer.concat([b(`${root}/etc/ssh/`), NOT_UTF8]))
    fs.writeFileSync(Buffer.concat([b(`${root}/etc/ssh/`), NOT_UTF8, b('/hidden')]), '')
    const found = new JailReader(root).descendants(b('etc'))
    assert.deepEqual(
      found.entries.map((rel) => rel.toString('latin1')),
      ['etc/ssh', `etc/ssh/d\xff`, 'etc/ssh/host-link', 'etc/ssh/sshd_config'],
    )
    assert.deepEqual(
      found.unentered.map((rel) => rel.toString('latin1')),
      ['etc/ssh/d\xff'],
    )
    assert.deepEqual(new JailReader(root).descendants(b('etc/ssh/host-link')), {entries: [], unentered: []})
  })

  it('opens only the regular file lstat saw: never a FIFO (no writer: it would block), a symlink or a swapped file', () => {
    const file = path.join(root, 'etc/ssh/sshd_config')
    const seen = fs.lstatSync(file)
    const fd = openRegularFile(file, seen)
    assert.ok(fd !== undefined)
    fs.closeSync(fd)
    fs.renameSync(file, path.join(root, 'old'))
    fs.writeFileSync(file, 'swapped\n')
    assert.equal(openRegularFile(file, seen), undefined, 'another inode now')
    fs.rmSync(file)
    execFileSync('mkfifo', [file])
    assert.equal(openRegularFile(file, seen), undefined, 'a FIFO now')
    fs.rmSync(file)
    fs.symlinkSync(path.join(outside, 'secret'), file)
    assert.equal(openRegularFile(file, fs.statSync(file)), undefined, 'a symlink, even to the very file stat saw')
    fs.rmSync(file)
    assert.equal(openRegularFile(file, seen), undefined, 'gone')
  })
})
