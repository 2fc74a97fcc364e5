import assert from 'node:assert/strict'
import {lstat, mkdir, mkdtemp, readFile, rm, symlink, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {UsageError} from '../../src/errors.js'
import {applyRemoveList, parseRemoveList} from '../../src/jail/flavour-remove.js'

const exists = async (p: string) => (await lstat(p).catch(() => undefined)) !== undefined

describe('flavour tsez.remove', () => {
  let dir: string
  let root: string
  let outside: string
  let list: string
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'tsez-remove-'))
    root = path.join(dir, 'root')
    outside = path.join(dir, 'outside')
    list = path.join(dir, 'tsez.remove')
    await mkdir(path.join(root, 'etc/rc.conf.d'), {recursive: true})
    await mkdir(outside)
    await writeFile(path.join(outside, 'passwd'), 'host\n')
    await writeFile(path.join(root, 'etc/motd'), 'motd\n')
    await writeFile(path.join(root, 'etc/rc.conf.d/sshd'), 'x\n')
  })
  afterEach(async () => rm(dir, {recursive: true, force: true}))

  it('removes files, directories with their subtree and symlinks themselves; skips missing paths', async () => {
    await symlink(outside, path.join(root, 'link-out'))
    await writeFile(list, 'etc/motd\netc/rc.conf.d\nlink-out\nnot/there\n\n')
    assert.equal(applyRemoveList(root, list), 3)
    assert.equal(await exists(path.join(root, 'etc/motd')), false)
    assert.equal(await exists(path.join(root, 'etc/rc.conf.d')), false)
    assert.equal(await exists(path.join(root, 'link-out')), false)
    assert.equal(await readFile(path.join(outside, 'passwd'), 'utf8'), 'host\n')
  })

  it('never goes through a symlink in the jail pointing out of the root', async () => {
    await symlink(outside, path.join(root, 'escape'))
    await writeFile(list, 'escape/passwd\n')
    assert.equal(applyRemoveList(root, list), 0)
    assert.equal(await readFile(path.join(outside, 'passwd'), 'utf8'), 'host\n')
  })

  for (const entry of ['../../etc/passwd', '/etc/passwd', 'etc/../../outside/passwd', 'etc//motd', './etc/motd']) {
    it(`refuses ${JSON.stringify(entry)} before removing anything`, async () => {
      await writeFile(list, `etc/motd\n${entry}\n`)
      assert.throws(() => applyRemoveList(root, list), UsageError)
      assert.equal(await exists(path.join(root, 'etc/motd')), true)
      assert.equal(await readFile(path.join(outside, 'passwd'), 'utf8'), 'host\n')
    })
  }

  it('takes names that are not UTF-8, and says which line is bad with the bytes escaped', () => {
    const odd = Buffer.concat([Buffer.from('etc/'), Buffer.from([0xff, 0x1b]), Buffer.from('\n')])
    assert.deepEqual(parseRemoveList(odd, 'f'), [[Buffer.from('etc'), Buffer.from([0xff, 0x1b])]])
    assert.throws(
      () => parseRemoveList(Buffer.from('a\n/\x1b[31m\n'), 'f'),
      (error: Error) => /^f line 2: /.test(error.message) && !error.message.includes('\x1b'),
    )
  })
})
