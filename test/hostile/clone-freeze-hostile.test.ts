// Hostile input to clone, freeze, snapshot and rollback: odd bytes, collisions, escapes out of the root, specials.
import assert from 'node:assert/strict'
import {execFileSync, spawn} from 'node:child_process'
import {lstat, mkdir, readFile, readdir, readlink, symlink, writeFile} from 'node:fs/promises'
import path from 'node:path'

import type {ListResult} from '../../src/list/service.js'
import {tsez, tsezOk} from '../support/cli.js'
import {createInstalledHost, type InstalledHost} from '../support/installed-host.js'
import {useZfs} from '../support/zfs-host.js'
import {listTree, under} from './trees.js'

const isRoot = process.getuid?.() === 0
const ESC = '\u001b[31m'
const exists = async (p: string) => (await lstat(p).catch(() => undefined)) !== undefined

describe('hostile: clone, freeze, snapshot, rollback', () => {
  let host: InstalledHost
  let secret: string
  before(async function () {
    if (!isRoot) this.skip()
    this.timeout(120_000)
    host = await createInstalledHost()
    await ok(['create', 'src1', '10.0.15.1'])
    secret = path.join(host.root, 'host-secret')
    await mkdir(secret)
    await writeFile(path.join(secret, 'master.passwd'), 'root:secret\n')
  })
  after(async () => host?.cleanup())

  const ok = (args: string[]) => tsezOk(args, host.env)
  const listed = async () => (JSON.parse((await ok(['list', '--json'])).stdout) as ListResult).jails
  /** Exit CODE, a tsez: line last on stderr, no raw escape byte, the jails and hidden entries as they were. */
  const refused = async (args: string[], pattern: RegExp, code = 2) => {
    const jails = await listed()
    const flavours = (await readdir(host.dirs.flavours)).sort()
    const result = await tsez(args, host.env)
    assert.equal(result.exitCode, code, `${JSON.stringify(args)}: ${result.stdout}${result.stderr}`)
    // Exit 2 is one line; a failure (exit 1) may follow the progress lines of what was tried.
    assert.match(result.stderr, code === 2 ? /^tsez: [^\n]*\n$/ : /(^|\n)tsez: [^\n]*\n$/)
    assert.equal(result.stderr.includes('\u001b'), false, 'a raw escape reached the terminal')
    assert.match(result.stderr, pattern)
    assert.deepEqual(await listed(), jails)
    assert.deepEqual((await readdir(host.dirs.flavours)).sort(), flavours)
    assert.deepEqual(
      (await readdir(host.dirs.jaildir)).filter((n) => n.startsWith('.')),
      [],
    )
    assert.equal(await readFile(path.join(secret, 'master.passwd'), 'utf8'), 'root:secret\n')
  }

  it('clone: NEW with escape bytes, SRC with escape bytes, NEW = SRC, NEW colliding after mapping', async function () {
    this.timeout(60_000)
    await refused(['clone', 'src1', `new${ESC}`, '10.0.15.9'], /new\\u001b\[31m|new\\x1b\[31m/)
    await refused(
      ['clone', `src${ESC}`, 'new1', '10.0.15.9'],
      /no jail named "src\\u001b\[31m"|no jail named "src\\x1b/,
    )
    await refused(['clone', 'src1', 'src1', '10.0.15.9'], /src1/)
    await ok(['create', 'web_1', '10.0.15.2'])
    await refused(['clone', 'src1', 'web-1', '10.0.15.9'], /web_1/)
    await refused(['clone', 'src1', 'new1', `10.0.15.9${ESC}`], /10\.0\.15\.9/)
  })

  it('clone: a symlink out of the root is copied as a symlink, never followed', async function () {
    this.timeout(60_000)
    const root = path.join(host.dirs.jaildir, 'src1')
    await symlink(secret, path.join(root, 'escape'))
    await ok(['clone', 'src1', 'copy1', '10.0.15.3'])
    const copy = path.join(host.dirs.jaildir, 'copy1')
    assert.equal(await readlink(path.join(copy, 'escape')), secret)
    assert.deepEqual(await readdir(secret), ['master.passwd'])
  })

  it('clone: a FIFO in the source is made anew in NEW (name bytes kept), never opened (nobody writes it: no hang)', async function () {
    this.timeout(60_000)
    await ok(['create', 'fifo1', '10.0.15.4'])
    execFileSync('mkfifo', [path.join(host.dirs.jaildir, 'fifo1', 'var/run-fifo')])
    // One named in bytes that are not UTF-8: made under its own name, not a U+FFFD one
    execFileSync('sh', ['-c', `mkfifo "$1/var/p$(printf '\\377')"`, 'sh', path.join(host.dirs.jaildir, 'fifo1')])
    await ok(['clone', 'fifo1', 'copy2', '10.0.15.5'])
    assert.ok((await lstat(path.join(host.dirs.jaildir, 'copy2', 'var/run-fifo'))).isFIFO())
    assert.ok((await lstat(under(path.join(host.dirs.jaildir, 'copy2', 'var'), Buffer.from([0x70, 0xff])))).isFIFO())
    assert.equal(await exists(path.join(host.dirs.jaildir, 'copy2', 'var/p\uFFFD')), false)
    assert.deepEqual(
      (await readdir(host.dirs.dbdir)).filter((n) => n.startsWith('create-')),
      [],
    )
  })

  it("clone: flags on names that are not UTF-8 reach the clone's own file, not a U+FFFD twin", async function () {
    this.timeout(60_000)
    await ok(['create', 'flags1', '10.0.15.6'])
    const root = path.join(host.dirs.jaildir, 'flags1')
    // The jail's owner: `g\xff` flagged nodump, and a file named `g\uFFFD`, what a UTF-8 decoding of it would name
    const odd = (dir: string) => Buffer.concat([Buffer.from(`${dir}/`), Buffer.from([0x67, 0xff])])
    await writeFile(odd(root), 'odd\n')
    await writeFile(path.join(root, 'g\uFFFD'), 'twin\n')
    await new Promise<void>((resolve, reject) =>
      spawn('xargs', ['-0', 'chflags', '-h', 'nodump'], {env: host.fake.env})
        .on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`chflags: exit ${code}`))))
        .stdin.end(Buffer.concat([odd(root), Buffer.from([0])])),
    )
    const flagged = (dir: string) =>
      execFileSync(path.join(host.fake.binDir, 'find'), ['-x', dir, '!', '-flags', '0', '-print0'], {
        env: host.fake.env,
      })
        .toString('latin1')
        .split('\0')
        .filter(Boolean)
    assert.deepEqual(flagged(root), [odd(root).toString('latin1')])
    await ok(['clone', 'flags1', 'flags2', '10.0.15.7'])
    const copy = path.join(host.dirs.jaildir, 'flags2')
    assert.deepEqual(flagged(copy), [odd(copy).toString('latin1')])
  })

  it('freeze: a directory whose name is not UTF-8 is frozen with its content; create -f rebuilds it byte for byte', async function () {
    this.timeout(60_000)
    await ok(['create', 'odd1', '10.0.15.8'])
    const root = path.join(host.dirs.jaildir, 'odd1')
    const dir = under(`${root}/tmp`, Buffer.from([0x64, 0xe9])) // "dé" in ISO 8859-1
    await mkdir(dir)
    await writeFile(under(dir, Buffer.from([0x66, 0xff])), 'inside an odd directory\n')
    await symlink(Buffer.from([0x2e, 0x2e, 0xfe]), under(dir, 'link'))
    const frozen = await ok(['freeze', 'odd1', 'odd-flavour'])
    assert.doesNotMatch(frozen.stderr, /left out|not UTF-8/, frozen.stderr)
    await ok(['create', '-f', 'odd-flavour', 'odd2', '10.0.15.9'])
    const tmpOf = (jail: string) => path.join(host.dirs.jaildir, jail, 'tmp')
    assert.ok((await listTree(tmpOf('odd2'))).equals(await listTree(tmpOf('odd1'))), 'the same bytes under tmp/')
  })

  it('freeze: a symlink out of the root is frozen as a symlink; host files never copied', async function () {
    this.timeout(60_000)
    await ok(['create', 'fr1', '10.0.15.6'])
    await symlink(secret, path.join(host.dirs.jaildir, 'fr1', 'www'))
    await ok(['freeze', 'fr1', 'fr1-flavour'])
    const flavour = path.join(host.dirs.flavours, 'fr1-flavour')
    assert.equal(await readlink(path.join(flavour, 'www')), secret)
    const found = execFileSync('find', [flavour, '-name', 'master.passwd'], {encoding: 'utf8'})
    assert.equal(found, '')
  })

  it('freeze: flavour names with / or .., jail names with escape bytes: exit 2, nothing anywhere', async function () {
    this.timeout(60_000)
    for (const bad of ['a/b', '../up', `x/../../${path.basename(host.root)}-escape`, '..', `f${ESC}`]) {
      await refused(['freeze', 'src1', bad], /flavour name/)
    }
    assert.equal(await exists(path.join(path.dirname(host.root), `${path.basename(host.root)}-escape`)), false)
    await refused(['freeze', `src${ESC}`, 'f1'], /no jail named "src\\u001b\[31m"|no jail named "src\\x1b/)
  })

  it("freeze: a FIFO, or a top-level tsez.remove or README of the jail's, is left out and named; the rest is frozen", async function () {
    this.timeout(60_000)
    await ok(['create', 'fr2', '10.0.15.7'])
    execFileSync('mkfifo', [path.join(host.dirs.jaildir, 'fr2', 'pipe')])
    await writeFile(path.join(host.dirs.jaildir, 'fr2', 'kept'), 'kept\n')
    await writeFile(path.join(host.dirs.jaildir, 'fr2', 'tsez.remove'), 'etc/master.passwd\n')
    await writeFile(path.join(host.dirs.jaildir, 'fr2', 'README'), 'the jail owner wrote this\n')
    const result = await ok(['freeze', 'fr2', 'fr2-flavour'])
    assert.match(result.stderr, /not frozen: \/pipe \(not a file, directory or symlink\)/)
    assert.match(result.stderr, /not frozen: \/tsez\.remove \(a flavour's own file name/)
    assert.match(result.stderr, /not frozen: \/README \(a flavour's own file name/)
    assert.equal(await exists(path.join(host.dirs.flavours, 'fr2-flavour', 'tsez.remove')), false)
    assert.equal(await readFile(path.join(host.dirs.flavours, 'fr2-flavour', 'kept'), 'utf8'), 'kept\n')
    assert.equal(await exists(path.join(host.dirs.flavours, 'fr2-flavour', 'pipe')), false)
  })

  it('create -f: tsez.remove entries with a trailing slash, a bare / or ., a . component or an escape are refused', async function () {
    this.timeout(60_000)
    const evil = path.join(host.dirs.flavours, 'evil2')
    await mkdir(evil)
    for (const entry of ['etc/', '/', '.', 'etc/./motd', `..${ESC}/../x`]) {
      await writeFile(path.join(evil, 'tsez.remove'), `${entry}\n`)
      await refused(['create', '-f', 'evil2', 'ev3', '10.0.15.8'], /not a relative path inside the jail/, 1)
    }
  })

  it('snapshot and rollback: odd snapshot names quoted, unknown snapshot listed, exit 2', async function () {
    this.timeout(60_000)
    host = await useZfs(host)
    await ok(['create', 'z1', '10.0.15.10'])
    await refused(['snapshot', 'z1', `s${ESC}`], /snapshot name "s\\u001b\[31m"|snapshot name "s\\x1b/)
    await refused(['rollback', 'z1', `s${ESC}`], /no snapshot "s\\u001b\[31m"|no snapshot "s\\x1b.*its snapshots: none/)
    await refused(['snapshot', 'z1', '--', '-r'], /snapshot name "-r"/)
    // clone's sweep destroys a tsez-clone- snapshot without clones: never one a user named
    await refused(['snapshot', 'z1', 'tsez-clone-before-upgrade'], /names starting tsez-clone- are tsez's own/)
    assert.equal(host.fake.calls('zfs').filter(([, command]) => command === 'snapshot').length, 1, 'the template only')
    await refused(['snapshots', `z${ESC}`], /no jail named/)
  })
})
