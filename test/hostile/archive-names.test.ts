// A jail owner's names an archive must not carry wrongly: a newline in a pax record, bytes that are not UTF-8.
import assert from 'node:assert/strict'
import {mkdir, readdir, rm, symlink, writeFile} from 'node:fs/promises'
import path from 'node:path'

import type {ArchiveResult} from '../../src/archive/service.js'
import {tsez, tsezOk} from '../support/cli.js'
import {createInstalledHost, type InstalledHost} from '../support/installed-host.js'
import {diffTrees, snapshotTree} from '../support/tree.js'

const isRoot = process.getuid?.() === 0

describe('hostile: names an archive cannot carry as they are (newlines, bytes that are not UTF-8)', () => {
  let host: InstalledHost
  before(async function () {
    if (!isRoot) this.skip()
    this.timeout(120_000)
    host = await createInstalledHost()
  })
  after(async () => host?.cleanup())

  it('a name that reads as a pax record (`a\\n10 size=0`) and short newline names round-trip exactly', async function () {
    this.timeout(120_000)
    await tsezOk(['create', 'names1', '10.0.54.1'], host.env)
    const root = path.join(host.dirs.jaildir, 'names1')
    // Were the name in a pax record, node-tar would take "10 size=0" for a record of its own: the file's zeros
    // then read as headers and the end of the archive, and everything after it lost.
    await writeFile(path.join(root, 'a\n10 size=0'), Buffer.alloc(1024))
    await mkdir(path.join(root, 'dir\nwith newline'))
    await writeFile(path.join(root, 'dir\nwith newline/inside'), 'inside\n')
    await symlink('target\nwith newline', path.join(root, 'link'))
    const before = await snapshotTree(root)
    const archived = JSON.parse((await tsezOk(['archive', '--json', 'names1'], host.env)).stdout) as ArchiveResult
    await tsezOk(['delete', '-w', '--force', 'names1'], host.env)
    await tsezOk(['restore', archived.jails[0]?.file ?? ''], host.env)
    assert.deepEqual(diffTrees(before, await snapshotTree(root)), [])
  })

  it('a newline name too long for the ustar field fails the archive, named, and leaves no file', async function () {
    this.timeout(120_000)
    await tsezOk(['create', 'names2', '10.0.54.2'], host.env)
    const root = path.join(host.dirs.jaildir, 'names2')
    const out = path.join(host.root, 'names2-out')
    for (const make of [
      async () => writeFile(path.join(root, `${'L'.repeat(120)}\nend`), 'x\n'),
      async () => symlink(`/usr/${'t'.repeat(120)}\nend`, path.join(root, 'long-link')),
    ]) {
      await make()
      const result = await tsez(['archive', '-d', out, 'names2'], host.env)
      assert.equal(result.exitCode, 1, result.stderr)
      assert.match(result.stderr, /holding a newline and longer than 99 bytes cannot be stored/)
      assert.deepEqual(await readdir(out).catch(() => []), [])
      await rm(path.join(root, `${'L'.repeat(120)}\nend`), {force: true})
    }
  })

  it('a name that is not UTF-8 fails the archive naming it (entries are named by text), and leaves no file', async function () {
    this.timeout(120_000)
    await tsezOk(['create', 'names3', '10.0.54.3'], host.env)
    const root = path.join(host.dirs.jaildir, 'names3')
    const out = path.join(host.root, 'names3-out')
    await writeFile(Buffer.concat([Buffer.from(`${root}/tmp/`), Buffer.from([0x66, 0xff])]), 'x\n')
    const result = await tsez(['archive', '-d', out, 'names3'], host.env)
    assert.equal(result.exitCode, 1, result.stderr)
    assert.match(result.stderr, /cannot archive ".*\/tmp\/f\uFFFD": its name is not UTF-8/)
    assert.deepEqual(await readdir(out).catch(() => []), [])
  })
})
