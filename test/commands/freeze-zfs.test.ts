// tsez freeze on ZFS: the changes come from `zfs diff` against the newjail snapshot the jail was cloned from.
import assert from 'node:assert/strict'
import {execFile} from 'node:child_process'
import {chmod, lstat, mkdir, readFile, readlink, rename, rm, symlink, writeFile} from 'node:fs/promises'
import path from 'node:path'
import {promisify} from 'node:util'

import {parseZfsDiff} from '../../src/freeze/zfs-diff.js'
import {tsezOk} from '../support/cli.js'
import {createInstalledHost, type InstalledHost} from '../support/installed-host.js'
import {diffTrees, snapshotTree} from '../support/tree.js'
import {ZFS_PARENT, useZfs} from '../support/zfs-host.js'

const isRoot = process.getuid?.() === 0
const execFileText = async (file: string, args: string[], env: NodeJS.ProcessEnv) =>
  (await promisify(execFile)(file, args, {env})).stdout
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

  it("a renamed directory brings its whole content; names with spaces and UTF-8 come through zfs's escapes", async function () {
    this.timeout(120_000)
    await ok(['create', 'web3', '10.0.13.3'])
    const root = path.join(host.dirs.jaildir, 'web3')
    // zfs diff names only the directory of a rename (its entries kept their parent object), as the fake now does
    await rename(path.join(root, 'etc'), path.join(root, 'etc.renamed'))
    await writeFile(path.join(root, 'my file'), 'space\n')
    await writeFile(path.join(root, 'caf\u00e9 \\ back'), 'utf-8\n')
    await mkdir(path.join(root, 'a dir'))
    await writeFile(path.join(root, 'a dir/inside'), 'inside\n')
    await ok(['freeze', 'web3', 'renamed'])
    const dataset = `${ZFS_PARENT}/web3`
    const origin = (await execFileText('zfs', ['get', '-H', '-o', 'value', 'origin', dataset], host.env)).trim()
    const diff = await execFileText('zfs', ['diff', '-FH', origin, dataset], host.env)
    assert.match(diff, /^R\t\/\t\S+\/etc\t\S+\/etc\.renamed$/m)
    assert.doesNotMatch(diff, /etc\.renamed\/rc\.conf/, 'the fake lists no entry of the renamed directory')
    assert.match(diff, /my\\0040file/)
    const flavour = path.join(host.dirs.flavours, 'renamed')
    assert.equal(await readFile(path.join(flavour, 'my file'), 'utf8'), 'space\n')
    assert.equal(await readFile(path.join(flavour, 'caf\u00e9 \\ back'), 'utf8'), 'utf-8\n')
    assert.equal(await readFile(path.join(flavour, 'a dir/inside'), 'utf8'), 'inside\n')
    assert.equal(await readFile(path.join(flavour, 'tsez.remove'), 'utf8'), 'etc\n')
    const copied = await readFile(path.join(flavour, 'etc.renamed/motd.template'), 'utf8')
    assert.equal(copied, await readFile(path.join(root, 'etc.renamed/motd.template'), 'utf8'))
    await ok(['create', '-f', 'renamed', 'web4', '10.0.13.4'])
    const copy = path.join(host.dirs.jaildir, 'web4')
    assert.equal(await exists(path.join(copy, 'etc')), false)
    assert.equal(await readFile(path.join(copy, 'etc.renamed/motd.template'), 'utf8'), copied)
    assert.equal(await readFile(path.join(copy, 'my file'), 'utf8'), 'space\n')
  })

  it("parses zfs diff -FH: OpenZFS's four-digit escapes, tab-separated renames (and the arrows without -H)", () => {
    const text = [
      'M\t/\t/j/web1/etc',
      '+\tF\t/j/web1/a\\0040b\\0377',
      '+\tF\t/j/web1/\\0305\\0233mieszny\\0040\\0134\\0011tab',
      '+\tF\t/j/web1/kept\\040\\x',
      '-\tF\t/j/web1/gone',
      'R\tF\t/j/web1/old\t/j/web1/new',
      'R\tF\t/j/web1/x -> /j/web1/y',
      'M\tF\t/j/web1/linked\t(+1)',
      '',
    ].join('\n')
    const parsed = parseZfsDiff(text)
    assert.deepEqual(
      parsed.map((line) => [line.change, line.type, line.path.toString('latin1'), line.to?.toString('latin1')]),
      [
        ['M', '/', '/j/web1/etc', undefined],
        ['+', 'F', '/j/web1/a b\u00ff', undefined],
        ['+', 'F', `/j/web1/${Buffer.from('\u015bmieszny \\\ttab').toString('latin1')}`, undefined],
        ['+', 'F', '/j/web1/kept\\040\\x', undefined],
        ['-', 'F', '/j/web1/gone', undefined],
        ['R', 'F', '/j/web1/old', '/j/web1/new'],
        ['R', 'F', '/j/web1/x', '/j/web1/y'],
        ['M', 'F', '/j/web1/linked', undefined],
      ],
    )
  })
})
