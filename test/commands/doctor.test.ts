// tsez doctor on an installed test host: each check ok and failing end to end, --json, exit codes, what --fix changes.
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {chmod, mkdir, readFile, rm, stat, writeFile} from 'node:fs/promises'
import path from 'node:path'

import type {DoctorResult} from '../../src/doctor/service.js'
import {tsez} from '../support/cli.js'
import {createInstalledHost, type InstalledHost} from '../support/installed-host.js'
import {diffTrees, snapshotTree} from '../support/tree.js'

const isRoot = process.getuid?.() === 0

describe('tsez doctor', () => {
  let host: InstalledHost
  let hostDir: string
  let env: NodeJS.ProcessEnv
  const doctor = async (...args: string[]) => tsez(['doctor', ...args], env)
  const report = async (...args: string[]) => {
    const result = await doctor('--json', ...args)
    const parsed = JSON.parse(result.stdout) as DoctorResult
    const status = Object.fromEntries(parsed.checks.map((check) => [check.id, check.status]))
    return {result, parsed, status, check: (id: string) => parsed.checks.find((c) => c.id === id)!}
  }
  /** Sets a fake-host knob or state file for one test body, then puts back what was there (or nothing). */
  const withKnob = async (file: string, content: string, body: () => Promise<void>) => {
    const previous = host.fake.read(file)
    host.fake.set(file, content)
    try {
      await body()
    } finally {
      if (previous === undefined) host.fake.unset(file)
      else host.fake.set(file, previous)
    }
  }

  before(async function () {
    if (!isRoot) this.skip()
    host = await createInstalledHost()
    hostDir = path.join(host.root, 'host')
    env = {...host.env, TSEZ_DOCTOR_ROOT: hostDir}
    for (const args of [
      ['create', 'web1', 'em0|10.0.0.5/24'],
      ['create', 'db1', '10.0.0.6'],
      ['create', '--norun', 'spare', '10.0.0.7'],
    ]) {
      const created = await tsez(args, host.env)
      assert.equal(created.exitCode, 0, created.stderr)
    }
    await writeFile(path.join(hostDir, 'etc/rc.conf'), 'tsez_enable="YES"\n')
    host.fake.set('sysctl.kern.racct.enable', '1')
    host.fake.set('ifconfig.table', 'lo0\tinet\t127.0.0.1\nem0\tinet\t192.0.2.10\nem0\tinet\t10.0.0.6\n')
  })
  after(async () => host?.cleanup())

  it('a healthy host: one line per check, exit 0; --json has every check and ok true', async () => {
    const text = await doctor()
    assert.equal(text.exitCode, 0, text.stdout + text.stderr)
    const lines = text.stdout.trimEnd().split('\n')
    assert.equal(lines.length, 13)
    assert.match(lines[0]!, /^ok {4}\S+\/usr\/jails is mode 0700, owned by uid 0$/)
    assert.match(text.stdout, /^ok {4}basejail 14\.3-RELEASE under kernel 14\.3-RELEASE-p2$/m)
    assert.match(text.stdout, /^skip {2}ZFS: /m)
    const {result, parsed, status} = await report()
    assert.equal(result.exitCode, 0)
    assert.equal(parsed.version, 1)
    assert.equal(parsed.ok, true)
    assert.deepEqual(status, {
      jaildir: 'ok',
      basejail: 'ok',
      pkgbase: 'skip',
      securelevel: 'ok',
      nullfs: 'ok',
      zfs: 'skip',
      racct: 'ok',
      vnet: 'skip',
      addresses: 'ok',
      boot: 'ok',
      space: 'ok',
      leftovers: 'ok',
      lock: 'ok',
    })
    assert.ok(parsed.checks.every((check) => check.fix === undefined && check.what !== ''))
    assert.equal(parsed.changed, undefined)
  })

  it('each failing check is a fail line with its fix and exit 1 (also under --json)', async () => {
    const failing = async (id: string, fix: RegExp) => {
      const {result, parsed, check} = await report()
      assert.equal(result.exitCode, 1, `${id}: ${result.stdout}`)
      assert.equal(parsed.ok, false)
      assert.equal(check(id).status, 'fail', JSON.stringify(check(id)))
      assert.match(check(id).fix ?? '', fix)
      const text = await doctor()
      assert.equal(text.exitCode, 1)
      assert.match(text.stdout, new RegExp(`^fail  .*  \\(.+\\)$`, 'm'))
    }
    await withKnob('uname_r', '14.2-RELEASE-p4', () => failing('basejail', /tsez install -r 14\.2-RELEASE --force/))
    await withKnob('lsvfs.filesystems', 'ufs devfs', () => failing('nullfs', /kldload nullfs/))
    await withKnob('ifconfig.table', 'lo0\tinet\t127.0.0.1\nem0\tinet\t192.0.2.10\n', async () => {
      await failing('addresses', /ifconfig IF alias ADDR/)
      assert.match((await report()).check('addresses').what, /^db1: 10\.0\.0\.6 is on no interface$/)
    })
    await writeFile(path.join(hostDir, 'etc/rc.conf.local'), 'jail_enable="YES"\njail_list="db1"\n')
    try {
      await failing('boot', /jail_enable=NO/)
    } finally {
      await rm(path.join(hostDir, 'etc/rc.conf.local'))
    }
    await chmod(host.dirs.jaildir, 0o755)
    try {
      await failing('jaildir', /chmod 0700/)
    } finally {
      await chmod(host.dirs.jaildir, 0o700)
    }
  })

  it('limits, VNET and ZFS: each ok, and failing (or warning) with its fix, under --json', async () => {
    const statusFix = async (id: string, envOver: NodeJS.ProcessEnv = {}) => {
      const result = await tsez(['doctor', '--json'], {...env, ...envOver})
      const check = (JSON.parse(result.stdout) as DoctorResult).checks.find((c) => c.id === id)!
      return {exit: result.exitCode, status: check.status, what: check.what, fix: check.fix ?? ''}
    }
    const limited = await tsez(['limits', 'web1', 'memoryuse=2G'], host.env)
    assert.equal(limited.exitCode, 0, limited.stderr)
    try {
      assert.equal((await statusFix('racct')).status, 'ok')
      await withKnob('sysctl.kern.racct.enable', '0', async () => {
        const racct = await statusFix('racct')
        assert.deepEqual([racct.exit, racct.status], [1, 'fail'])
        assert.equal(racct.what, 'kern.racct.enable is 0: web1 has limits and will not start')
        assert.equal(racct.fix, 'add kern.racct.enable=1 to /boot/loader.conf and reboot')
      })
    } finally {
      assert.equal((await tsez(['limits', 'web1', '--unset', 'memoryuse'], host.env)).exitCode, 0)
    }

    const vnet = await tsez(['create', '--vnet', '--bridge', 'bridge7', 'v1', '10.0.9.2/24'], host.env)
    assert.equal(vnet.exitCode, 0, vnet.stderr)
    try {
      const missing = await statusFix('vnet')
      assert.deepEqual([missing.exit, missing.status], [1, 'fail'])
      assert.equal(missing.what, 'if_epair and if_bridge are not loaded: VNET jails cannot get an epair')
      assert.match(missing.fix, /^kldload if_epair if_bridge; sysrc kld_list\+="if_epair if_bridge"/)
      assert.deepEqual(host.fake.calls('kldstat').slice(-2), [
        ['kldstat', '-q', '-m', 'if_epair'],
        ['kldstat', '-q', '-m', 'if_bridge'],
      ])
      await withKnob('kldstat.modules', 'if_epair\nif_bridge\n', async () => {
        const noBridge = await statusFix('vnet')
        assert.deepEqual(
          [noBridge.status, noBridge.what],
          ['warn', "bridge bridge7 does not exist: a VNET jail's start creates it, without an uplink"],
        )
        const table = host.fake.read('ifconfig.table') ?? ''
        await withKnob('ifconfig.table', `${table}bridge7\n`, async () => {
          assert.deepEqual(await statusFix('vnet'), {
            exit: 0,
            status: 'ok',
            what: 'if_epair and if_bridge are loaded; bridge bridge7 exists',
            fix: '',
          })
        })
      })
    } finally {
      assert.equal((await tsez(['delete', 'v1'], host.env)).exitCode, 0)
    }

    const zfsConf = path.join(host.root, 'tsez-zfs.conf')
    await writeFile(
      zfsConf,
      `${await readFile(host.configFile, 'utf8')}tsez_use_zfs="YES"\ntsez_zfs_parent="zroot/tsez"\n`,
    )
    const absent = await statusFix('zfs', {TSEZ_CONFIG: zfsConf})
    assert.deepEqual(absent, {
      exit: 1,
      status: 'fail',
      what: 'tsez_use_zfs is YES but the parent dataset zroot/tsez does not exist',
      fix: 'zfs create -p zroot/tsez',
    })
    await withKnob('zfs.datasets', 'zroot\t/zroot\nzroot/tsez\t/zroot/tsez\n', async () => {
      const present = await statusFix('zfs', {TSEZ_CONFIG: zfsConf})
      assert.deepEqual([present.status, present.what], ['ok', 'the ZFS parent dataset zroot/tsez exists'])
      assert.deepEqual(host.fake.calls('zfs').at(-1), ['zfs', 'list', '-H', '-o', 'name', 'zroot/tsez'])
    })
  })

  it('warnings (securelevel, racct, no ifconfig, tsez_enable off) and a nullfs module: exit 0', async () => {
    const warns = async (id: string) => {
      const {result, check} = await report()
      assert.equal(result.exitCode, 0, result.stdout)
      assert.equal(check(id).status, 'warn', JSON.stringify(check(id)))
    }
    await withKnob('securelevel', '1', () => warns('securelevel'))
    await withKnob('sysctl.kern.racct.enable', '0', () => warns('racct'))
    await withKnob('ifconfig.fail', 'no', () => warns('addresses'))
    await writeFile(path.join(hostDir, 'etc/rc.conf'), 'tsez_enable="NO"\n')
    await warns('boot').finally(() => writeFile(path.join(hostDir, 'etc/rc.conf'), 'tsez_enable="YES"\n'))
    await mkdir(path.join(hostDir, 'boot/kernel'), {recursive: true})
    await writeFile(path.join(hostDir, 'boot/kernel/nullfs.ko'), '')
    await withKnob('lsvfs.filesystems', 'ufs', async () => assert.equal((await report()).status.nullfs, 'ok'))
  })

  it('--fix sets the jaildir to 0700 and removes leftovers under the lock: the host is as before the damage', async () => {
    const {dbdir, confdir, jaildir} = host.dirs
    const healthy = await snapshotTree(hostDir)
    const journal = {version: 1, name: 'ghost', root: path.join(jaildir, 'ghost'), ownsRoot: true, pid: 1, started: ''}
    await writeFile(path.join(dbdir, 'create-ghost.json'), JSON.stringify(journal))
    await mkdir(path.join(jaildir, 'ghost/etc'), {recursive: true})
    await writeFile(path.join(confdir, 'web1.json.tmp-0123456789ab'), '{')
    await mkdir(path.join(jaildir, '.tsez-staging/full'), {recursive: true})
    const dead = spawnSync(process.execPath, ['-e', '0']).pid
    await writeFile(path.join(dbdir, 'lock'), JSON.stringify({pid: dead, command: 'create', since: '', token: ''}))
    await chmod(jaildir, 0o751)

    const before = await report()
    assert.equal(before.result.exitCode, 1)
    assert.equal(before.status.leftovers, 'warn')
    assert.equal(before.status.lock, 'warn')
    assert.match(before.check('leftovers').what, /interrupted create .*create-ghost\.json/)

    const fixed = await doctor('--fix')
    assert.equal(fixed.exitCode, 0, fixed.stdout + fixed.stderr)
    const changed = fixed.stdout.split('\n').filter((line) => line.startsWith('changed: '))
    assert.deepEqual(changed, [
      `changed: chmod 0700 ${jaildir} (was 0751)`,
      `changed: took over the stale host lock of pid ${dead}`,
      `changed: removed ${path.join(confdir, 'web1.json.tmp-0123456789ab')}`,
      `changed: removed ${path.join(jaildir, 'ghost')}`,
      `changed: removed ${path.join(dbdir, 'create-ghost.json')}`,
      `changed: removed stale staging ${path.join(jaildir, '.tsez-staging')}`,
    ])
    assert.equal((await stat(jaildir)).mode & 0o777, 0o700)
    const ignoreMtimeOf = ['usr/jails', 'var/db/tsez', 'usr/local/etc/tsez']
    assert.deepEqual(diffTrees(healthy, await snapshotTree(hostDir), {ignoreMtimeOf}), [])

    const again = await report('--fix')
    assert.equal(again.result.exitCode, 0)
    assert.deepEqual(again.parsed.changed, [])
    assert.equal(again.parsed.ok, true)
  })
})
