import assert from 'node:assert/strict'
import * as fs from 'node:fs'
import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {zfsTreeChanges} from '../../src/freeze/zfs-diff.js'
import {countingChdirs} from '../support/chdir-count.js'
import {recordingRunner} from '../support/recording-runner.js'

describe('freeze/zfs-diff: what zfs diff lists, looked at in the jail as it is now', () => {
  let dir: string
  let root: string
  let host: string
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'tsez-zfs-diff-'))
    root = path.join(dir, 'jail')
    host = path.join(dir, 'host')
    fs.mkdirSync(host)
    fs.writeFileSync(path.join(host, 'secret'), 'host\n')
  })
  afterEach(async () => rm(dir, {recursive: true, force: true}))

  it('hundreds of lines of one directory, removals, a directory swapped for a link to the host', async () => {
    fs.mkdirSync(path.join(root, 'usr/lib'), {recursive: true})
    fs.mkdirSync(path.join(root, 'etc'))
    fs.mkdirSync(path.join(root, 'deep/a/b'), {recursive: true})
    fs.writeFileSync(path.join(root, 'etc/motd'), 'changed object\n')
    fs.writeFileSync(path.join(root, 'var'), 'a file where a directory was\n')
    const lines = [`M\t/\t${root}/usr/lib`]
    for (let i = 0; i < 400; i++) {
      const name = `f${String(i).padStart(3, '0')}`
      lines.push(`+\tF\t${root}/usr/lib/${name}`)
      if (i % 100 !== 7) fs.writeFileSync(path.join(root, 'usr/lib', name), `${i}\n`) // 4 listed, gone since
    }
    for (const line of ['+\tF\tdeep/a/b/c', '-\tF\tetc/motd', '-\tF\tetc/gone', '-\t/\tvar', '-\tF\tdeep/a/b/old']) {
      const [change, type, rel] = line.split('\t')
      lines.push(`${change}\t${type}\t${root}/${rel}`)
    }
    fs.writeFileSync(path.join(root, 'deep/a/b/c'), 'c\n')
    // the jail's owner swaps deep/a for a link to the host after zfs diff ran
    fs.renameSync(path.join(root, 'deep/a'), path.join(root, 'deep/was-a'))
    fs.symlinkSync(host, path.join(root, 'deep/a'))
    const {runner, calls} = recordingRunner(() => ({stdout: `${lines.join('\n')}\n`}))
    const {value: changes, chdirs} = await countingChdirs(() =>
      zfsTreeChanges(runner, 'pool/newjail@s', 'pool/web1', root, new Set()),
    )
    // one descent into usr/lib for its 400 lines, not one a line (each is 4 chdirs: the root, usr, lib, back)
    assert.ok(chdirs < 40, `${chdirs} chdirs`)
    assert.deepEqual(calls, [{file: 'zfs', args: ['diff', '-FH', 'pool/newjail@s', 'pool/web1']}])
    const kept = Array.from({length: 400}, (_, i) => i)
      .filter((i) => i % 100 !== 7)
      .map((i) => `usr/lib/f${String(i).padStart(3, '0')}`)
    assert.deepEqual(changes.changed.map(String), ['usr/lib', ...kept])
    // etc/motd is another object at the same path (still the jail's); deep/a is no directory now, so nothing of
    // the jail is at deep/a/b/old (and nothing of the host was looked at)
    assert.deepEqual(changes.removed.map(String), ['deep/a/b/old', 'etc/gone', 'var'])
    assert.deepEqual(changes.unentered, [])
  })
})
