import assert from 'node:assert/strict'
import {readFile} from 'node:fs/promises'
import path from 'node:path'

import {parseJailConf} from '../../src/jail/conf-parse.js'
import type {JailRecord} from '../../src/jail/store.js'
import {ezjailSafeName, type EzjailJailSpec, type EzjailLayout} from '../fixtures/ezjail-host.js'
import {createEzjailHost} from '../support/ezjail-host.js'
import {tsez} from '../support/cli.js'
import type {InstalledHost} from '../support/installed-host.js'
import {diffTrees, snapshotTree} from '../support/tree.js'

const isRoot = process.getuid?.() === 0

describe('tsez import ezjail', () => {
  let host: InstalledHost
  let layout: EzjailLayout
  let args: string[]
  const jails: EzjailJailSpec[] = [
    {name: 'www.example.com', ip: 'lo1|127.0.1.1,em0|192.168.1.50', provide: 'www', require: 'db'},
    {name: 'db', ip: '10.0.0.6,fd00::6', provide: 'db', fstabLines: ['/data/db {root}/var/db/mysql nullfs rw 0 0']},
    {
      name: 'mail.example.com',
      ip: '10.0.0.7',
      norun: true,
      set: {
        parameters: 'allow.raw_sockets=1 allow.sysvipc',
        fib: '1',
        cpuset: '0-1',
        exec_start: '/bin/sh /etc/rc --mail',
      },
    },
    {name: 'img', ip: '10.0.0.8', root: false, set: {image: '/JAILS/img.img', imagetype: 'simple'}},
    {
      name: 'zfsjail',
      ip: '10.0.0.9',
      set: {imagetype: 'zfs', parentzfs: 'tank/ezjail', zfs_datasets: 'tank/data tank/logs'},
    },
  ]
  beforeEach(async function () {
    if (!isRoot) this.skip()
    ;({host, layout, args} = await createEzjailHost(jails))
  })
  afterEach(async () => host?.cleanup())

  const record = async (name: string) =>
    JSON.parse(await readFile(path.join(host.dirs.confdir, `${name}.json`), 'utf8')) as JailRecord

  it('adopts every jail in place, leaves the image jail to ezjail, and changes none of ezjail files', async () => {
    const ezjailFiles = async () => {
      const names = jails.map((j) => path.join(layout.fstabDir, `fstab.${ezjailSafeName(j.name)}`))
      const texts = await Promise.all([layout.conf, ...names].map((f) => readFile(f, 'utf8')))
      return {dir: await snapshotTree(layout.dir), texts}
    }
    const before = await ezjailFiles()
    const roots = await snapshotTree(host.dirs.jaildir)
    const result = await tsez(['import', 'ezjail', ...args], host.env)
    assert.equal(result.exitCode, 1, result.stderr)
    assert.match(result.stderr, /^tsez: img not imported: .*image jail/m)
    assert.match(
      result.stdout,
      /^imported www_example_com \(www\.example\.com, .*, lo1\|127\.0\.1\.1,em0\|192\.168\.1\.50, after db\)$/m,
    )
    const after = await ezjailFiles()
    assert.deepEqual(diffTrees(before.dir, after.dir), [])
    assert.deepEqual(after.texts, before.texts)
    assert.deepEqual(diffTrees(roots, await snapshotTree(host.dirs.jaildir)), [], 'no root moved or copied')

    const www = await record('www_example_com')
    assert.equal(www.hostname, 'www.example.com')
    assert.equal(www.root, path.join(host.dirs.jaildir, 'www.example.com'))
    assert.deepEqual(www.depend, ['db'])
    assert.equal(www.origin?.from, 'ezjail')
    const mail = await record('mail_example_com')
    assert.equal(mail.run, false)
    assert.deepEqual(mail.params, {
      'exec.start': '/bin/sh /etc/rc --mail',
      'allow.mount': true,
      'mount.procfs': true,
      'mount.fdescfs': true,
      'allow.raw_sockets': true,
      'allow.sysvipc': true,
      'exec.fib': 1,
      'exec.created': ['cpuset -l 0-1 -j mail_example_com'],
    })
    const zfs = await record('zfsjail')
    assert.equal(zfs.origin?.dataset, 'tank/ezjail/zfsjail')
    assert.deepEqual(zfs.params['exec.created'], ['zfs jail zfsjail tank/data', 'zfs jail zfsjail tank/logs'])
    const dbFstab = await readFile(path.join(host.dirs.fstab, 'fstab.db'), 'utf8')
    assert.match(
      dbFstab,
      new RegExp(`^${host.dirs.basejail}\\t${host.dirs.jaildir}/db/basejail\\tnullfs\\tro\\t0\\t0$`, 'm'),
    )
    assert.match(dbFstab, new RegExp(`^/data/db\\t${host.dirs.jaildir}/db/var/db/mysql\\tnullfs\\trw\\t0\\t0$`, 'm'))
    const release = JSON.parse(await readFile(path.join(host.dirs.dbdir, 'release.json'), 'utf8')) as Record<
      string,
      unknown
    >
    assert.equal(release.adoptedFrom, 'ezjail')
    assert.equal(release.release, '14.3-RELEASE')

    // The datasets ezjail hands to the ZFS jail (exec.created: zfs jail NAME DATASET) exist on the host.
    const pool = host.fake.read('zfs.datasets') ?? ''
    host.fake.set('zfs.datasets', `${pool}${['tank', 'tank/data', 'tank/logs'].map((n) => `${n}\t-\n`).join('')}`)
    const started = await tsez(['start', '-a'], host.env)
    assert.equal(started.exitCode, 0, started.stderr)
    assert.deepEqual(
      host.fake.calls('zfs').filter((argv) => argv[1] === 'jail'),
      [
        ['zfs', 'jail', 'zfsjail', 'tank/data'],
        ['zfs', 'jail', 'zfsjail', 'tank/logs'],
      ],
    )
    const running = new Map(host.fake.jails().map((j) => [j.name, j]))
    assert.equal(running.get('www_example_com')?.hostname, 'www.example.com')
    assert.equal(running.get('www_example_com')?.path, www.root)
    assert.deepEqual(running.get('db')?.ip6, ['fd00::6'])
    const jailCalls = host.fake.calls('jail').filter((argv) => argv.includes('-c'))
    for (const argv of jailCalls) {
      const name = argv.at(-1) ?? ''
      assert.deepEqual(argv.slice(-4), ['-f', path.join(host.dirs.jailconf, `${name}.conf`), '-c', name])
    }
    const creates = jailCalls.map((argv) => argv.at(-1))
    assert.ok(creates.indexOf('db') < creates.indexOf('www_example_com'), `db starts first: ${creates.join(' ')}`)
    const conf = parseJailConf(await readFile(path.join(host.dirs.jailconf, 'www_example_com.conf'), 'utf8'))[0]
    assert.deepEqual(conf?.params.get('ip4.addr'), ['lo1|127.0.1.1', 'em0|192.168.1.50'])
  })

  it('imports nothing new the second time, and --undo forgets what it wrote', async () => {
    const before = await snapshotTree(host.root)
    assert.equal((await tsez(['import', 'ezjail', ...args], host.env)).exitCode, 1)
    const again = await tsez(['import', 'ezjail', ...args], host.env)
    assert.equal(again.exitCode, 1, again.stderr)
    assert.match(again.stdout, /^db: already managed by tsez$/m)
    assert.doesNotMatch(again.stdout, /^imported/m)
    const undo = await tsez(['import', 'ezjail', '--undo'], host.env)
    assert.equal(undo.exitCode, 0, undo.stderr)
    assert.match(undo.stdout, /^forgot www_example_com$/m)
    // What stays: the (empty) directories tsez made for its files, and their parents' mtimes.
    const made =
      /^host\/(etc\/jail\.conf\.d|usr\/local\/etc\/tsez|usr\/local\/etc\/tsez\/fstab): unexpected$|: mtimeMs /
    assert.deepEqual(
      diffTrees(before, await snapshotTree(host.root)).filter((d) => !made.test(d)),
      [],
    )
  })

  it('--dry-run lists every file and writes none', async () => {
    const before = await snapshotTree(host.root)
    const result = await tsez(['import', 'ezjail', '-n', ...args], host.env)
    assert.equal(result.exitCode, 1, result.stderr)
    assert.match(result.stdout, /^would write .*release\.json$/m)
    assert.match(result.stdout, new RegExp(`^would write ${host.dirs.jailconf}/db\\.conf$`, 'm'))
    assert.deepEqual(diffTrees(before, await snapshotTree(host.root)), [])
  })

  it('names: imports only those given, and warns about an order it cannot keep', async () => {
    const result = await tsez(['import', 'ezjail', ...args, 'www.example.com'], host.env)
    assert.equal(result.exitCode, 0, result.stderr)
    assert.match(result.stderr, /www_example_com starts after db in ezjail's order, which stays ezjail's/)
    assert.deepEqual((await record('www_example_com')).depend, [])
  })
})
