import assert from 'node:assert/strict'
import {chmod, chown, link, lstat, mkdir, readFile, readdir, readlink, rm, symlink, writeFile} from 'node:fs/promises'
import path from 'node:path'

import type {FreezeResult} from '../../src/freeze/service.js'
import type {ListResult} from '../../src/list/service.js'
import {tsez, tsezOk} from '../support/cli.js'
import {createInstalledHost, type InstalledHost} from '../support/installed-host.js'
import {diffTrees, snapshotTree} from '../support/tree.js'

const isRoot = process.getuid?.() === 0
const exists = async (p: string) => (await lstat(p).catch(() => undefined)) !== undefined

describe('tsez freeze (UFS) and create -f with tsez.remove', () => {
  let host: InstalledHost
  before(async function () {
    if (!isRoot) this.skip()
    this.timeout(120_000)
    host = await createInstalledHost()
  })
  after(async () => host?.cleanup())

  const ok = (args: string[]) => tsezOk(args, host.env)
  const refused = async (args: string[], pattern: RegExp, code = 2) => {
    const result = await tsez(args, host.env)
    assert.equal(result.exitCode, code, `${args.join(' ')}: ${result.stdout}${result.stderr}`)
    assert.match(result.stderr, pattern)
    return result
  }
  const flavours = async () => (await readdir(host.dirs.flavours)).sort()
  const listed = async () => (JSON.parse((await ok(['list', '--json'])).stdout) as ListResult).jails

  it('holds what the jail added, modified and removed; create -f FLAVOUR rebuilds the same tree', async function () {
    this.timeout(120_000)
    await ok(['create', '-f', 'webserver', 'web1', '10.0.6.1'])
    const root = path.join(host.dirs.jaildir, 'web1')
    await mkdir(path.join(root, 'usr/local/www/data'), {recursive: true})
    await writeFile(path.join(root, 'usr/local/www/data/index.html'), '<h1>frozen</h1>\n')
    await link(path.join(root, 'usr/local/www/data/index.html'), path.join(root, 'usr/local/www/data/hard.html'))
    await writeFile(path.join(root, 'etc/motd.template'), 'changed\n')
    await chmod(path.join(root, 'etc'), 0o750)
    await writeFile(path.join(root, 'setgid'), '#!/bin/sh\n')
    await chown(path.join(root, 'setgid'), 0, 5)
    await chmod(path.join(root, 'setgid'), 0o2750)
    await symlink('/etc', path.join(root, 'host-etc-link'))
    await writeFile(
      path.join(
        root,
        Buffer.concat([Buffer.from('odd-'), Buffer.from([0xff, 0x1b]), Buffer.from('-name')]).toString('latin1'),
      ),
      'x\n',
    )
    await rm(path.join(root, 'etc/dumpdates'))
    const removedDir = (await readdir(path.join(root, 'var'))).find((n) => n !== 'db' && n !== 'run') ?? 'tmp'
    await rm(path.join(root, 'var', removedDir), {recursive: true, force: true})
    await writeFile(path.join(root, 'basejail/inside-the-mountpoint'), 'never frozen\n')

    const before = await flavours()
    const dry = await ok(['freeze', '-n', 'web1', 'dry'])
    assert.match(dry.stdout, /^compare .*web1 with .*newjail/)
    assert.deepEqual(await flavours(), before)

    const frozen = JSON.parse((await ok(['freeze', '--json', 'web1', 'web-frozen'])).stdout) as FreezeResult
    const flavour = path.join(host.dirs.flavours, 'web-frozen')
    assert.equal(frozen.flavour, flavour)
    assert.equal(await readFile(path.join(flavour, 'usr/local/www/data/index.html'), 'utf8'), '<h1>frozen</h1>\n')
    assert.equal(await readFile(path.join(flavour, 'etc/motd.template'), 'utf8'), 'changed\n')
    assert.equal((await lstat(path.join(flavour, 'setgid'))).mode & 0o7777, 0o2750)
    assert.equal((await lstat(path.join(flavour, 'setgid'))).gid, 5)
    assert.equal((await lstat(path.join(flavour, 'etc'))).mode & 0o7777, 0o750)
    assert.equal(await readlink(path.join(flavour, 'host-etc-link')), '/etc')
    assert.equal(await exists(path.join(flavour, 'basejail')), false, 'the basejail mount point is never frozen')
    assert.equal(await exists(path.join(flavour, 'var/db/tsez/firstboot')), false)
    assert.equal(await exists(path.join(flavour, 'bin')), false, 'unchanged entries are not frozen')
    const removals = (await readFile(path.join(flavour, 'tsez.remove'), 'utf8')).split('\n').filter(Boolean)
    assert.deepEqual(removals.sort(), ['etc/dumpdates', `var/${removedDir}`].sort())
    assert.equal(frozen.removed, 2)
    assert.deepEqual(
      (await readdir(host.dirs.flavours)).filter((n) => n.startsWith('.')),
      [],
    )

    await rm(path.join(root, 'basejail/inside-the-mountpoint'))
    await ok(['create', '-f', 'web-frozen', 'web2', '10.0.6.2'])
    const copy = path.join(host.dirs.jaildir, 'web2')
    const skipFirstboot = (tree: Awaited<ReturnType<typeof snapshotTree>>) =>
      new Map([...tree].filter(([rel]) => !rel.startsWith('var/db/tsez/firstboot')))
    const differences = diffTrees(skipFirstboot(await snapshotTree(root)), skipFirstboot(await snapshotTree(copy)), {
      ignoreMtimeOf: ['.', 'basejail', 'etc', 'var', 'usr', 'usr/local', 'usr/local/www', 'var/db', 'var/db/tsez'],
    })
    // A flavour lays its directories over the template's without changing an existing one's owner or mode.
    assert.deepEqual(differences, ['etc: mode 0750 != 0755'])
    assert.equal(await exists(path.join(copy, 'tsez.remove')), false)
  })

  it('refuses an existing flavour, a bad flavour name, an unknown jail; nothing written', async function () {
    this.timeout(60_000)
    await ok(['create', 'app1', '10.0.7.1'])
    const before = await flavours()
    await refused(['freeze', 'app1', 'webserver'], /flavour webserver exists already/)
    for (const bad of ['a/b', '../up', '.hidden', 'x'.repeat(65), 'esc\u001b[31m', '']) {
      await refused(['freeze', 'app1', bad], /flavour name/)
    }
    await refused(['freeze', 'nope', 'f1'], /no jail named "nope"/)
    assert.deepEqual(await flavours(), before)
  })

  it('create -f with a hostile tsez.remove: ../ or absolute entries refused, nothing kept; symlinks never followed', async function () {
    this.timeout(60_000)
    const victim = path.join(host.root, 'victim')
    await mkdir(victim, {recursive: true})
    await writeFile(path.join(victim, 'passwd'), 'host\n')
    const evil = path.join(host.dirs.flavours, 'evil')
    await mkdir(evil)
    const jails = await listed()
    for (const entry of ['../../etc/passwd', path.join(victim, 'passwd'), `etc/../../../../..${victim}/passwd`]) {
      await writeFile(path.join(evil, 'tsez.remove'), `etc/motd\n${entry}\n`)
      await refused(['create', '-f', 'evil', 'ev1', '10.0.8.1'], /not a relative path inside the jail/, 1)
      assert.equal(await readFile(path.join(victim, 'passwd'), 'utf8'), 'host\n')
      assert.deepEqual(await listed(), jails)
      assert.equal(await exists(path.join(host.dirs.jaildir, 'ev1')), false)
    }
    // A flavour that plants a symlink out of the root, then one that removes a path through it.
    const planter = path.join(host.dirs.flavours, 'planter')
    await mkdir(planter)
    await symlink(victim, path.join(planter, 'escape'))
    await writeFile(path.join(evil, 'tsez.remove'), 'escape/passwd\nescape\n')
    await ok(['create', '-f', 'planter', '-f', 'evil', 'ev2', '10.0.8.2'])
    assert.equal(await readFile(path.join(victim, 'passwd'), 'utf8'), 'host\n')
    assert.equal(await exists(path.join(host.dirs.jaildir, 'ev2/escape')), false)
  })
})
