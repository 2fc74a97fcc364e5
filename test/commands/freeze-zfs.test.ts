// tsez freeze on ZFS: the changes come from `zfs diff` against the newjail snapshot the jail was cloned from.
import assert from 'node:assert/strict'
import {chmod, lstat, mkdir, readFile, readlink, rm, symlink, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {parseZfsDiff} from '../../src/freeze/zfs-diff.js'
import {tsezOk} from '../support/cli.js'
import {createInstalledHost, type InstalledHost} from '../support/installed-host.js'
import {diffTrees, snapshotTree} from '../support/tree.js'
import {ZFS_PARENT, useZfs} from '../support/zfs-host.js'

const isRoot = process.getuid?.() === 0
const exists = async (p: string) => (await lstat(p).catch(() => undefined)) !== undefined

describe('tsez freeze on ZFS', function () {
  let host: InstalledHost
  before(async function () {
    if (!isRoot) this.skip()
    this.timeout(120_000)
    host = await useZfs(await createInstalledHost())
  })
  after(async () => host?.cleanup())

  const ok = (args: string[]) => tsezOk(args, host.env)

  it('reads zfs diff of the origin snapshot; the flavour rebuilds the jail', async function () {
    this.timeout(120_000)
    await ok(['create', '-f', 'webserver', 'web1', '10.0.13.1'])
    const root = path.join(host.dirs.jaildir, 'web1')
    await mkdir(path.join(root, 'usr/local/www/data'), {recursive: true})
    await writeFile(path.join(root, 'usr/local/www/data/index.html'), '<h1>zfs</h1>\n')
    await writeFile(path.join(root, 'etc/motd.template'), 'changed on zfs\n')
    await chmod(path.join(root, 'etc/motd.template'), 0o600)
    await symlink('/etc', path.join(root, 'host-etc-link'))
    await rm(path.join(root, 'etc/dumpdates'))
    await writeFile(path.join(root, 'basejail/not-frozen'), 'x\n')

    const record = JSON.parse(await readFile(path.join(host.dirs.confdir, 'web1.json'), 'utf8')) as {dataset: string}
    assert.equal(record.dataset, `${ZFS_PARENT}/web1`)
    const dry = await ok(['freeze', '-n', 'web1', 'zfrozen'])
    assert.match(dry.stdout, /^run zfs diff -FH zroot\/tsez\/newjail@tsez-\S+ zroot\/tsez\/web1 /)
    await ok(['freeze', 'web1', 'zfrozen'])
    const diffs = host.fake.calls('zfs').filter(([, command]) => command === 'diff')
    assert.equal(diffs.length, 1)
    assert.match(diffs[0]?.slice(1).join(' ') ?? '', /^diff -FH zroot\/tsez\/newjail@tsez-\S+ zroot\/tsez\/web1$/)

    const flavour = path.join(host.dirs.flavours, 'zfrozen')
    assert.equal(await readFile(path.join(flavour, 'usr/local/www/data/index.html'), 'utf8'), '<h1>zfs</h1>\n')
    assert.equal((await lstat(path.join(flavour, 'etc/motd.template'))).mode & 0o7777, 0o600)
    assert.equal(await readlink(path.join(flavour, 'host-etc-link')), '/etc')
    assert.equal(await readFile(path.join(flavour, 'tsez.remove'), 'utf8'), 'etc/dumpdates\n')
    assert.equal(await exists(path.join(flavour, 'basejail')), false)
    assert.equal(await exists(path.join(flavour, 'var/db/tsez/firstboot')), false)
    assert.equal(await exists(path.join(flavour, 'bin')), false)

    await rm(path.join(root, 'basejail/not-frozen'))
    await ok(['create', '-f', 'zfrozen', 'web2', '10.0.13.2'])
    const skipFirstboot = (tree: Awaited<ReturnType<typeof snapshotTree>>) =>
      new Map([...tree].filter(([rel]) => !rel.startsWith('var/db/tsez/firstboot')))
    const copy = path.join(host.dirs.jaildir, 'web2')
    const differences = diffTrees(skipFirstboot(await snapshotTree(root)), skipFirstboot(await snapshotTree(copy)), {
      ignoreMtimeOf: ['.', 'basejail', 'etc', 'usr', 'usr/local', 'var', 'var/db', 'var/db/tsez'],
    })
    assert.deepEqual(differences, [])
  })

  it('parses zfs diff -FH: \\ooo escapes, tab-separated renames (and the fake arrows)', () => {
    const text = [
      'M\t/\t/j/web1/etc',
      '+\tF\t/j/web1/a\\040b\\377',
      '-\tF\t/j/web1/gone',
      'R\tF\t/j/web1/old\t/j/web1/new',
      'R\tF\t/j/web1/x -> /j/web1/y',
      '',
    ].join('\n')
    const parsed = parseZfsDiff(text)
    assert.deepEqual(
      parsed.map((line) => [line.change, line.type, line.path.toString('latin1'), line.to?.toString('latin1')]),
      [
        ['M', '/', '/j/web1/etc', undefined],
        ['+', 'F', '/j/web1/a b\u00ff', undefined],
        ['-', 'F', '/j/web1/gone', undefined],
        ['R', 'F', '/j/web1/old', '/j/web1/new'],
        ['R', 'F', '/j/web1/x', '/j/web1/y'],
      ],
    )
  })
})
