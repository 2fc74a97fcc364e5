// A jail owner's names an archive must carry exactly: a newline in a pax record, bytes that are not UTF-8.
import assert from 'node:assert/strict'
import {execFile, execFileSync, spawn} from 'node:child_process'
import {link, mkdir, readdir, rm, symlink, writeFile} from 'node:fs/promises'
import path from 'node:path'
import {promisify} from 'node:util'

import type {ArchiveResult} from '../../src/archive/service.js'
import {tsez, tsezOk} from '../support/cli.js'
import {createInstalledHost, type InstalledHost} from '../support/installed-host.js'
import {diffTrees, snapshotTree} from '../support/tree.js'
import {listTree, ODD_NAMES, plantChain, removeAll, under} from './trees.js'

const exec = promisify(execFile)

const isRoot = process.getuid?.() === 0

describe('hostile: names an archive must carry exactly (newlines, bytes that are not UTF-8)', () => {
  let host: InstalledHost
  before(async function () {
    if (!isRoot) this.skip()
    this.timeout(120_000)
    host = await createInstalledHost()
  })
  after(async () => host?.cleanup())

  /** chflags -h nodump FILE through xargs -0 (FILE's bytes on its stdin), with the fake chflags. */
  const setNodump = (file: Buffer) =>
    new Promise<void>((resolve, reject) =>
      spawn('xargs', ['-0', 'chflags', '-h', 'nodump'], {env: host.fake.env})
        .on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`chflags: exit ${code}`))))
        .stdin.end(Buffer.concat([file, Buffer.from([0])])),
    )
  /** The paths under DIR with file flags (the fake find), as latin1 strings of their bytes. */
  const flaggedUnder = (dir: string) =>
    execFileSync(path.join(host.fake.binDir, 'find'), ['-x', dir, '!', '-flags', '0', '-print0'], {env: host.fake.env})
      .toString('latin1')
      .split('\0')
      .filter(Boolean)

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

  it('names, directories and symlink targets that are not UTF-8 round-trip byte for byte; bsdtar reads them too', async function () {
    this.timeout(120_000)
    await tsezOk(['create', 'names3', '10.0.54.3'], host.env)
    const root = path.join(host.dirs.jaildir, 'names3')
    const dir = path.join(root, 'tmp/odd')
    await mkdir(dir)
    // Files, directories holding files, symlinks (targets not UTF-8 either), a hard link; a newline only where the
    // whole member name stays under 100 bytes (a longer one cannot be stored: the test above)
    const inner = ODD_NAMES.filter((name) => !name.includes('\n'))
    for (const [i, name] of ODD_NAMES.entries()) {
      await writeFile(under(dir, name), `file ${i}\n`)
      await symlink(Buffer.concat([Buffer.from('../'), name]), under(dir, Buffer.concat([Buffer.from('l'), name])))
      if (name.includes('\n')) continue
      const sub = under(dir, Buffer.concat([Buffer.from('d'), name]))
      await mkdir(sub)
      for (const file of inner) await writeFile(under(sub, file), `inner ${i}\n`)
    }
    await link(under(dir, ODD_NAMES[0] ?? ''), under(dir, Buffer.from([0x68, 0x80])))
    // FIFOs so named, and one in a directory so named: made back with mkfifo through xargs -0
    const fifos = `mkfifo "$1/p$(printf '\\377')" "$1/df$(printf '\\377\\376')/p$(printf '\\350')"`
    await exec('sh', ['-c', fifos, 'sh', dir])
    // A name whose valid UTF-8 holds the low half U+DC80 of a pair: text, not a kept byte
    await writeFile(path.join(dir, '\u{10080}'), 'astral\n')
    // Flags on a name that is not UTF-8 (set through xargs -0, as tsez sets them): archived and put back
    const flaggedOdd = under(dir, ODD_NAMES[1] ?? '')
    await setNodump(flaggedOdd)
    const before = await listTree(root)
    const flagsBefore = flaggedUnder(root)
    assert.deepEqual(flagsBefore, [flaggedOdd.toString('latin1')])
    const archived = JSON.parse((await tsezOk(['archive', '--json', 'names3'], host.env)).stdout) as ArchiveResult
    const file = archived.jails[0]?.file ?? ''
    const unpacked = path.join(host.root, 'names3-bsdtar')
    await mkdir(unpacked)
    await exec('bsdtar', ['-xpf', file, '-C', unpacked])
    assert.ok((await listTree(path.join(unpacked, 'root'))).equals(before), 'bsdtar extracts the same names')
    await removeAll(unpacked)
    await tsezOk(['delete', '-w', '--force', 'names3'], host.env)
    await tsezOk(['restore', '-n', file], host.env)
    await tsezOk(['restore', file], host.env)
    const after = await listTree(root)
    assert.ok(after.equals(before), 'the restored tree holds the same bytes')
    assert.deepEqual(flaggedUnder(root), flagsBefore, 'the flags are on the same name')
    assert.ok(after.includes(Buffer.from([0x66, 0xff, 0xfe, 0])), 'a name of bytes that are not UTF-8 is there')
  })

  it('a directory so named too deep to restore fails the archive, named', async function () {
    this.timeout(120_000)
    await tsezOk(['create', 'names4', '10.0.54.4'], host.env)
    const root = path.join(host.dirs.jaildir, 'names4')
    const out = path.join(host.root, 'names4-out')
    // 6 levels of 200 bytes 0xff: past 1023 bytes under restore's staging tree before any door is too long
    plantChain(`${root}/tmp`, 6, Buffer.alloc(200, 0xff))
    const result = await tsez(['archive', '-d', out, 'names4'], host.env)
    assert.equal(result.exitCode, 1, result.stderr)
    assert.match(result.stderr, /restored here its path would pass 1023 bytes/)
    assert.deepEqual(await readdir(out).catch(() => []), [])
  })

  it('a path restore could not make (past 1023 bytes under its staging tree) fails the archive, named, no file', async function () {
    this.timeout(120_000)
    await tsezOk(['create', 'names5', '10.0.54.5'], host.env)
    const root = path.join(host.dirs.jaildir, 'names5')
    const out = path.join(host.root, 'names5-out')
    // 25 levels of 40 bytes: about 1025 bytes under the root, which the walk reads by name at any depth
    plantChain(`${root}/tmp`, 25, Buffer.from('c'.repeat(40)))
    const result = await tsez(['archive', '-d', out, 'names5'], host.env)
    assert.equal(result.exitCode, 1, result.stderr)
    assert.match(
      result.stderr,
      /cannot archive ".*\/tmp\/c{40}(\/c{40})*": restored here its path would pass 1023 bytes/,
    )
    assert.deepEqual(await readdir(out).catch(() => []), [])
    await removeAll(`${root}/tmp`)
  })
})
