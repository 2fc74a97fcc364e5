import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import * as fs from 'node:fs'
import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {writeFlavourTree} from '../../src/freeze/build.js'
import {diffAgainstTemplate} from '../../src/freeze/tree-diff.js'
import {PATH_BUDGET} from '../../src/system/cwd-walk.js'
import {countingChdirs} from '../support/chdir-count.js'

/** The entries under DIR, relative, never through a symlink. */
function files(dir: string, rel = ''): string[] {
  return fs.readdirSync(path.join(dir, rel)).flatMap((name) => {
    const child = rel === '' ? name : `${rel}/${name}`
    return fs.lstatSync(path.join(dir, child)).isDirectory() ? [child, ...files(dir, child)] : [child]
  })
}

describe('freeze: the flavour built from a jail that changes under it', () => {
  let dir: string
  let jail: string
  let template: string
  let out: string
  let host: string
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'tsez-freeze-build-'))
    ;[jail, template, out, host] = ['jail', 'newjail', 'flavour', 'host'].map((name) => path.join(dir, name)) as [
      string,
      string,
      string,
      string,
    ]
    for (const root of [jail, template]) fs.mkdirSync(path.join(root, 'etc'), {recursive: true})
    fs.writeFileSync(path.join(template, 'etc/motd'), 'stock\n')
    fs.writeFileSync(path.join(jail, 'etc/motd'), 'stock\n')
    fs.mkdirSync(host)
    fs.mkdirSync(out)
  })
  afterEach(async () => rm(dir, {recursive: true, force: true}))

  it('a directory swapped for a symlink to the host after the comparison: nothing of the host is copied', () => {
    fs.mkdirSync(path.join(jail, 'mnt'))
    for (const i of [0, 1, 2]) {
      fs.writeFileSync(path.join(jail, 'mnt', `f${i}`), `jail ${i}\n`)
      fs.writeFileSync(path.join(host, `f${i}`), `HOST SECRET ${i}\n`)
    }
    const changes = diffAgainstTemplate(jail, template, new Set())
    assert.deepEqual(changes.changed.map(String), ['mnt', 'mnt/f0', 'mnt/f1', 'mnt/f2'])
    // The jail's owner, between the comparison and the copy
    fs.renameSync(path.join(jail, 'mnt'), path.join(jail, 'was-mnt'))
    fs.symlinkSync(host, path.join(jail, 'mnt'))
    const counts = writeFlavourTree(jail, changes, out)
    assert.ok(fs.lstatSync(path.join(out, 'mnt')).isSymbolicLink(), 'the link is frozen as a link')
    assert.deepEqual(files(out), ['mnt'])
    assert.deepEqual(
      counts.skipped,
      [0, 1, 2].map((i) => `/mnt/f${i} (it changed while freeze read it)`),
    )
  })

  it('a directory of hundreds of new files, copied a run at a time: every one, links across runs kept as links', async () => {
    const lib = path.join(jail, 'usr/lib')
    fs.mkdirSync(path.join(lib, 'f300d'), {recursive: true}) // a directory among the files, its own content
    fs.writeFileSync(path.join(lib, 'f300d/inner'), 'inner\n')
    for (let i = 0; i < 700; i++) fs.writeFileSync(path.join(lib, `f${String(i).padStart(3, '0')}`), `file ${i}\n`)
    fs.linkSync(path.join(lib, 'f001'), path.join(lib, 'f650-link')) // a second name runs later
    fs.symlinkSync('/etc/master.passwd', path.join(lib, 'f500-link'))
    const changes = diffAgainstTemplate(jail, template, new Set())
    // the jail's owner swaps a file of a later run for a symlink to the host before the copy
    fs.rmSync(path.join(lib, 'f600'))
    fs.symlinkSync(path.join(host, 'secret'), path.join(lib, 'f600'))
    fs.writeFileSync(path.join(host, 'secret'), 'HOST SECRET\n')
    const {value: counts, chdirs} = await countingChdirs(() => writeFlavourTree(jail, changes, out))
    // a descent (4 chdirs) per run of up to 256 entries of usr/lib, not one per entry
    assert.ok(chdirs < 60, `${chdirs} chdirs`)
    assert.deepEqual(counts.skipped, [])
    assert.equal(counts.entries, changes.changed.length)
    assert.deepEqual(
      files(out).sort(),
      files(jail)
        .filter((rel) => rel.startsWith('usr'))
        .sort(),
    )
    for (let i = 0; i < 700; i++) {
      const name = `usr/lib/f${String(i).padStart(3, '0')}`
      if (i === 600) continue
      assert.equal(fs.readFileSync(path.join(out, name), 'utf8'), `file ${i}\n`, name)
    }
    assert.equal(fs.readlinkSync(path.join(out, 'usr/lib/f600')), path.join(host, 'secret'), 'frozen as the link it is')
    assert.equal(fs.statSync(path.join(out, 'usr/lib/f650-link')).ino, fs.statSync(path.join(out, 'usr/lib/f001')).ino)
    assert.equal(fs.readFileSync(path.join(out, 'usr/lib/f300d/inner'), 'utf8'), 'inner\n')
  })

  it('a file replaced by a FIFO after the comparison is left out and named', () => {
    fs.writeFileSync(path.join(jail, 'etc/motd'), 'changed\n')
    const changes = diffAgainstTemplate(jail, template, new Set())
    fs.rmSync(path.join(jail, 'etc/motd'))
    execFileSync('mkfifo', [path.join(jail, 'etc/motd')])
    const counts = writeFlavourTree(jail, changes, out)
    assert.deepEqual(files(out), ['etc'])
    assert.deepEqual(counts.skipped, ['/etc/motd (not a file, directory or symlink)'])
  })

  it('a file of the newjail turned directory, or the reverse: removed first, then the new entry', () => {
    fs.rmSync(path.join(jail, 'etc/motd'))
    fs.mkdirSync(path.join(jail, 'etc/motd'))
    fs.writeFileSync(path.join(jail, 'etc/motd/inside'), 'x\n')
    fs.mkdirSync(path.join(template, 'var'))
    fs.writeFileSync(path.join(jail, 'var'), 'a file now\n')
    const changes = diffAgainstTemplate(jail, template, new Set())
    assert.deepEqual(changes.removed.map(String), ['etc/motd', 'var'])
    assert.deepEqual(changes.changed.map(String), ['etc/motd', 'etc/motd/inside', 'var'])
  })

  it('entries deeper than a path can name are compared, and those whose flavour path would be too long named', () => {
    const long = 'd'.repeat(200)
    const chain = Array.from({length: 6}, () => long).join('/')
    fs.mkdirSync(path.join(jail, chain), {recursive: true})
    fs.writeFileSync(path.join(jail, chain, 'deep'), 'deep\n')
    fs.writeFileSync(path.join(jail, long, 'shallow'), 'shallow\n')
    const changes = diffAgainstTemplate(jail, template, new Set())
    assert.equal(changes.changed.length, 8)
    const counts = writeFlavourTree(jail, changes, out)
    assert.equal(fs.readFileSync(path.join(out, long, 'shallow'), 'utf8'), 'shallow\n')
    const tooLong = changes.changed.filter((rel) => out.length + 1 + rel.length > PATH_BUDGET)
    assert.ok(tooLong.length >= 2)
    assert.deepEqual(
      counts.skipped,
      tooLong.map((rel) => `/${rel.toString()} (its path in the flavour would pass ${PATH_BUDGET} bytes)`),
    )
    assert.equal(counts.entries, 8 - tooLong.length)
  })
})
