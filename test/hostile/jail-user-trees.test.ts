import assert from 'node:assert/strict'
import {execFile} from 'node:child_process'
import {symlinkSync} from 'node:fs'
import {chmod, chown, lstat, mkdir, readFile, readdir, symlink, writeFile} from 'node:fs/promises'
import path from 'node:path'
import {promisify} from 'node:util'

import {tsez} from '../support/cli.js'
import {createInstalledHost, type InstalledHost} from '../support/installed-host.js'
import {diffTrees, snapshotTree} from '../support/tree.js'
import {ODD_NAMES, listTree, plantChain, plantOddNames, readChainLeaf, removeAll, under} from './trees.js'

const exec = promisify(execFile)
const isRoot = process.getuid?.() === 0
const exists = async (p: string | Buffer) => (await lstat(p).catch(() => undefined)) !== undefined

describe('trees a jail user controls', () => {
  let host: InstalledHost
  beforeEach(async function () {
    if (!isRoot) this.skip() // a created jail has root-owned files
    host = await createInstalledHost()
  })
  afterEach(async () => {
    if (host !== undefined) await removeAll(host.dirs.jaildir) // odd names and depths: Node's rm cannot
    await host?.cleanup()
  })

  it('delete -w removes a root full of odd names, deep chains and symlinks out, and nothing else', async () => {
    const created = await tsez(['create', 'web1', '10.0.0.5'], host.env)
    assert.equal(created.exitCode, 0, created.stderr)
    const root = path.join(host.dirs.jaildir, 'web1')
    const home = path.join(root, 'home/user')
    await mkdir(home, {recursive: true})
    // What the jail's user may make, as uid 1001: odd names, chains deeper than PATH_MAX (plain and not UTF-8),
    // symlinks to the host's paths (as the jail sees them, and as the host does), a FIFO, an unreadable directory,
    // and a directory named as delete names what it renames.
    await plantOddNames(home)
    plantChain(home, 300, Buffer.from('d'.repeat(50)), () => symlinkSync(host.dirs.confdir, 'confdir'))
    plantChain(home, 100, Buffer.from([0xff, ...Buffer.from('-x'.repeat(24)), 0x0a]))
    await mkdir(under(home, '.tsez-delete-0', Buffer.from([0xfe])), {recursive: true})
    await symlink('/', path.join(home, 'slash'))
    await symlink('../../../../..', path.join(home, 'up'))
    await symlink(host.dirs.basejail, under(home, Buffer.from([0x62, 0xff])))
    await symlink(path.join(host.dirs.confdir, 'web1.json'), path.join(root, 'etc/record'))
    await exec('mkfifo', [path.join(home, 'fifo')])
    await mkdir(path.join(home, 'closed/inner'), {recursive: true})
    await writeFile(path.join(home, 'closed/inner/secret'), 'x\n')
    await chmod(path.join(home, 'closed/inner'), 0)
    await chmod(path.join(home, 'closed'), 0)
    await exec('chown', ['-R', '-h', '1001:1001', home])
    await chown(home, 1001, 1001)

    const jailFiles = ['etc/jail.conf.d/web1.conf', 'etc/fstab.web1', 'usr/local/etc/tsez/web1.json']
    const ofTheJail = (rel: string) => rel === 'usr/jails/web1' || jailFiles.includes(rel)
    const before = await snapshotTree(path.join(host.root, 'host'), {exclude: ofTheJail})
    const result = await tsez(['delete', '-w', '--force', 'web1'], host.env)
    assert.equal(result.exitCode, 0, result.stderr)
    assert.equal(await exists(root), false)
    const after = await snapshotTree(path.join(host.root, 'host'), {exclude: ofTheJail})
    const changed = ['usr/jails', 'etc', 'etc/jail.conf.d', 'usr/local/etc/tsez', 'var/db/tsez']
    assert.deepEqual(diffTrees(before, after, {ignoreMtimeOf: changed}), [])
    for (const rel of jailFiles) assert.equal(await exists(path.join(host.root, 'host', rel)), false, rel)
  })

  it('create -f copies a flavour with names that are not UTF-8 and a chain deeper than PATH_MAX byte for byte', async () => {
    const flavour = path.join(host.dirs.flavours, 'odd')
    await mkdir(path.join(flavour, 'srv'), {recursive: true})
    await plantOddNames(path.join(flavour, 'srv'))
    plantChain(path.join(flavour, 'srv'), 200, Buffer.from('c'.repeat(50)))
    const created = await tsez(['create', '-f', 'odd', 'web2', '10.0.0.6'], host.env)
    assert.equal(created.exitCode, 0, created.stderr)
    const root = path.join(host.dirs.jaildir, 'web2')
    assert.deepEqual(await listTree(path.join(root, 'srv')), await listTree(path.join(flavour, 'srv')))
    const names = await readdir(Buffer.from(path.join(root, 'srv')), {encoding: 'buffer'})
    for (const name of ODD_NAMES)
      assert.ok(
        names.some((n) => n.equals(name)),
        name.toString('hex'),
      )
    assert.equal(await readFile(under(root, 'srv', ODD_NAMES[0] ?? ''), 'utf8'), 'file 0\n')
    assert.equal(await readChainLeaf(path.join(root, 'srv'), 200, Buffer.from('c'.repeat(50))), 'bottom\n')
  })
})
