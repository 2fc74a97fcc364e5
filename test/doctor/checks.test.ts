// tsez doctor's pure checks: each one ok on a healthy host's facts and not ok on the fact that breaks it.
import assert from 'node:assert/strict'

import {
  LOW_SPACE_BYTES,
  allPassed,
  checkAddresses,
  checkBasejail,
  checkBoot,
  checkJaildir,
  checkLeftovers,
  checkLock,
  checkNullfs,
  checkSecurelevel,
  checkSpace,
  jailsStartedByRcJail,
  runChecks,
} from '../../src/doctor/checks.js'
import type {BootFacts, DoctorFacts} from '../../src/doctor/facts.js'
import {checkRacct, checkVnet, checkZfs} from '../../src/doctor/feature-checks.js'

const DIRECTORY = 0o040000
const boot = (over: Partial<BootFacts> = {}): BootFacts => ({
  tsezEnable: true,
  jailEnable: false,
  jailList: [],
  jailConfNames: [],
  jailConfIncludes: [],
  ...over,
})

/** A host where every check passes. */
const healthy = (): DoctorFacts => ({
  uid: 0,
  jaildir: {path: '/usr/jails', stat: {uid: 0, gid: 0, mode: DIRECTORY | 0o700, isDirectory: true}},
  basejail: '/usr/jails/basejail',
  basejailUserland: '14.3-RELEASE-p2',
  kernel: '14.3-RELEASE-p1',
  securelevel: -1,
  nullfs: 'listed',
  racct: 1,
  jails: [
    {name: 'web1', run: true, vnet: false, addresses: ['10.0.0.5', 'em0|10.0.0.6/24', 'fd00::5'], limits: 2},
    {name: 'off', run: false, vnet: false, addresses: ['10.9.9.9'], limits: 0},
    {name: 'v1', run: true, vnet: true, addresses: ['10.8.8.8'], limits: 0, bridge: 'bridge0'},
  ],
  vnetModules: {if_epair: true, if_bridge: true},
  interfaces: new Map([
    ['em0', ['192.0.2.10', '10.0.0.5', 'fd00::5']],
    ['bridge0', []],
    ['lo0', ['127.0.0.1']],
  ]),
  boot: boot(),
  jailconfDir: '/etc/jail.conf.d',
  freeBytes: 20 * 1024 ** 3,
  leftovers: [],
  lock: {state: 'free'},
})

const statusOf = (result: {status: string}) => result.status

describe('doctor checks', () => {
  it('a healthy host: every check ok but ZFS, skipped with tsez_use_zfs=NO', () => {
    const results = runChecks(healthy())
    assert.deepEqual(
      results.map((r) => `${r.id}:${r.status}`),
      [
        'jaildir:ok',
        'basejail:ok',
        'pkgbase:skip',
        'securelevel:ok',
        'nullfs:ok',
        'zfs:skip',
        'racct:ok',
        'vnet:ok',
        'addresses:ok',
        'boot:ok',
        'space:ok',
        'leftovers:ok',
        'lock:ok',
      ],
    )
    assert.ok(allPassed(results))
    assert.ok(results.every((r) => r.fix === undefined))
  })

  describe('jaildir', () => {
    const withStat = (uid: number, gid: number, mode: number, me = 0) =>
      checkJaildir({
        uid: me,
        jaildir: {path: '/usr/jails', stat: {uid, gid, mode: DIRECTORY | mode, isDirectory: true}},
      })
    it('0700 root, 0750 root:wheel, and the invoking user own ok', () => {
      assert.equal(statusOf(withStat(0, 5, 0o700)), 'ok')
      assert.equal(statusOf(withStat(0, 0, 0o750)), 'ok')
      assert.equal(statusOf(withStat(1001, 1001, 0o700, 1001)), 'ok')
    })
    it('reachable by others, by a group other than wheel, group-writable, owned by another user, missing: fail', () => {
      assert.deepEqual(withStat(0, 0, 0o755), {
        id: 'jaildir',
        status: 'fail',
        what: '/usr/jails is mode 0755: other users can reach jail roots',
        fix: 'chmod 0700 /usr/jails',
      })
      assert.match(withStat(0, 20, 0o750).what, /members of group 20/)
      assert.equal(statusOf(withStat(0, 0, 0o770)), 'fail')
      assert.deepEqual(withStat(1001, 0, 0o700), {
        id: 'jaildir',
        status: 'fail',
        what: '/usr/jails is owned by uid 1001, not root',
        fix: 'chown root:wheel /usr/jails',
      })
      assert.equal(statusOf(checkJaildir({uid: 0, jaildir: {path: '/usr/jails', stat: undefined}})), 'fail')
    })
  })

  describe('basejail', () => {
    const facts = {basejail: '/usr/jails/basejail', basejailUserland: '14.3-RELEASE-p2', kernel: '14.3-RELEASE'}
    it('a userland as new as the kernel (any patch level) or older is ok', () => {
      assert.equal(statusOf(checkBasejail(facts)), 'ok')
      assert.equal(statusOf(checkBasejail({...facts, kernel: '15.0-RELEASE'})), 'ok')
    })
    it('a userland newer than the kernel fails; none installed fails; an unknown kernel warns', () => {
      const newer = checkBasejail({...facts, basejailUserland: '15.0-RELEASE-p1'})
      assert.equal(newer.status, 'fail')
      assert.match(newer.what, /15\.0-RELEASE-p1 is newer than the host kernel 14\.3-RELEASE/)
      assert.equal(statusOf(checkBasejail({...facts, basejailUserland: '14.3-RC1', kernel: '14.3-BETA2'})), 'fail')
      assert.deepEqual(checkBasejail({...facts, basejailUserland: undefined}), {
        id: 'basejail',
        status: 'fail',
        what: 'no basejail at /usr/jails/basejail',
        fix: 'tsez install',
      })
      assert.equal(statusOf(checkBasejail({...facts, kernel: undefined})), 'warn')
    })
  })

  it('securelevel: 0 or -1 ok; raised warns (updates impossible); unreadable warns', () => {
    assert.equal(statusOf(checkSecurelevel({securelevel: 0})), 'ok')
    const raised = checkSecurelevel({securelevel: 1})
    assert.equal(raised.status, 'warn')
    assert.match(raised.what, /tsez update cannot patch/)
    assert.equal(statusOf(checkSecurelevel({securelevel: undefined})), 'warn')
  })

  it('nullfs: listed or a loadable module ok; missing fails', () => {
    assert.equal(statusOf(checkNullfs({nullfs: 'listed'})), 'ok')
    assert.equal(statusOf(checkNullfs({nullfs: 'module'})), 'ok')
    assert.equal(statusOf(checkNullfs({nullfs: 'missing'})), 'fail')
  })

  it('racct: 1 ok; 0 or no RACCT warns without limits, and fails naming the jails with limits', () => {
    const jails = healthy().jails.filter((jail) => jail.limits === 0)
    assert.equal(statusOf(checkRacct({racct: 1, jails})), 'ok')
    assert.deepEqual(checkRacct({racct: 0, jails}), {
      id: 'racct',
      status: 'warn',
      what: 'kern.racct.enable is 0: tsez limits would need it',
      fix: 'add kern.racct.enable=1 to /boot/loader.conf and reboot',
    })
    assert.equal(statusOf(checkRacct({racct: undefined, jails})), 'warn')
    assert.equal(statusOf(checkRacct({racct: 1, jails: healthy().jails})), 'ok')
    assert.deepEqual(checkRacct({racct: 0, jails: healthy().jails}), {
      id: 'racct',
      status: 'fail',
      what: 'kern.racct.enable is 0: web1 has limits and will not start',
      fix: 'add kern.racct.enable=1 to /boot/loader.conf and reboot',
    })
    assert.match(checkRacct({racct: undefined, jails: healthy().jails}).what, /^the kernel has no RACCT: web1 has/)
  })

  it('zfs: skipped with tsez_use_zfs=NO; the parent dataset found ok, missing or unset fails with the command', () => {
    assert.equal(statusOf(checkZfs({})), 'skip')
    assert.equal(statusOf(checkZfs({zfs: {parent: 'zroot/tsez', parentExists: true}})), 'ok')
    assert.deepEqual(checkZfs({zfs: {parent: 'zroot/tsez', parentExists: false}}), {
      id: 'zfs',
      status: 'fail',
      what: 'tsez_use_zfs is YES but the parent dataset zroot/tsez does not exist',
      fix: 'zfs create -p zroot/tsez',
    })
    assert.match(checkZfs({zfs: {parent: '', parentExists: false}}).fix ?? '', /set tsez_zfs_parent/)
  })

  it('vnet: skipped without VNET jails; a missing module fails, a missing bridge warns', () => {
    const facts = healthy()
    assert.equal(statusOf(checkVnet({...facts, jails: facts.jails.filter((j) => !j.vnet)})), 'skip')
    assert.deepEqual(checkVnet({...facts, vnetModules: {if_epair: false, if_bridge: true}}), {
      id: 'vnet',
      status: 'fail',
      what: 'if_epair is not loaded: VNET jails cannot get an epair',
      fix: 'kldload if_epair; sysrc kld_list+="if_epair" to load at boot',
    })
    const both = checkVnet({...facts, vnetModules: {if_epair: false, if_bridge: false}})
    assert.equal(both.what, 'if_epair and if_bridge are not loaded: VNET jails cannot get an epair')
    const noBridge = checkVnet({...facts, interfaces: new Map([['em0', []]])})
    assert.equal(noBridge.status, 'warn')
    assert.match(noBridge.what, /^bridge bridge0 does not exist: a VNET jail's start creates it, without an uplink/)
  })

  describe('addresses', () => {
    it('norun and vnet jails are not checked; an iface| address needs only its interface', () => {
      assert.equal(statusOf(checkAddresses(healthy())), 'ok')
      assert.equal(statusOf(checkAddresses({...healthy(), jails: []})), 'ok')
    })
    it('an address on no interface, or a missing interface, fails naming the jail; no ifconfig warns', () => {
      const facts = healthy()
      facts.jails = [
        {name: 'web1', run: true, vnet: false, addresses: ['10.0.0.7', 'em9|10.0.0.8', 'fd00::7'], limits: 0},
      ]
      const result = checkAddresses(facts)
      assert.equal(result.status, 'fail')
      assert.equal(
        result.what,
        'web1: 10.0.0.7 is on no interface; web1: interface em9 does not exist; web1: fd00::7 is on no interface',
      )
      assert.equal(statusOf(checkAddresses({...healthy(), interfaces: undefined})), 'warn')
    })
  })

  describe('boot', () => {
    const jails = healthy().jails
    const check = (over: Partial<BootFacts>) => checkBoot({jails, jailconfDir: '/etc/jail.conf.d', boot: boot(over)})
    it('tsez_enable alone, or jail_enable for jails tsez does not start, is ok', () => {
      assert.equal(statusOf(check({})), 'ok')
      assert.equal(statusOf(check({jailEnable: true, jailList: ['other', 'off']})), 'ok')
      assert.equal(statusOf(check({jailEnable: true, jailConfNames: ['other']})), 'ok')
    })
    it('jail_list, a jail.conf block or an .include of tsez files starting a jail tsez starts too: fail', () => {
      const listed = check({jailEnable: true, jailList: ['web1']})
      assert.equal(listed.status, 'fail')
      assert.match(listed.what, /both start web1 at boot/)
      assert.equal(statusOf(check({jailEnable: true, jailConfNames: ['web1']})), 'fail')
      const included = check({jailEnable: true, jailConfIncludes: ['/etc/jail.conf.d/*.conf']})
      assert.match(included.what, /both start web1, v1 at boot/)
      assert.equal(statusOf(check({jailEnable: false, jailList: ['web1']})), 'ok')
    })
    it('tsez_enable off with jails marked run warns; an unreadable jail.conf under jail_enable warns', () => {
      assert.equal(statusOf(check({tsezEnable: false})), 'warn')
      assert.match(check({tsezEnable: false, jailEnable: true, jailList: ['web1']}).what, /rc\.d\/jail starts web1/)
      assert.equal(statusOf(check({jailEnable: true, jailConfProblem: '/etc/jail.conf:1: syntax error'})), 'warn')
    })
    it('rc.d/jail starts the jail_list names, else every jail jail.conf defines or includes', () => {
      const names = ['a', 'b', 'c']
      assert.deepEqual(jailsStartedByRcJail(boot({jailEnable: true, jailList: ['b', 'x']}), names, '/d'), ['b'])
      assert.deepEqual(
        jailsStartedByRcJail(boot({jailEnable: true, jailConfIncludes: ['/d/?.conf']}), names, '/d'),
        names,
      )
      assert.deepEqual(jailsStartedByRcJail(boot({jailEnable: true, jailConfIncludes: ['/d/c.conf']}), names, '/d'), [
        'c',
      ])
      assert.deepEqual(jailsStartedByRcJail(boot({jailEnable: false, jailList: ['a']}), names, '/d'), [])
    })
  })

  it('space: 1 GiB or more ok; less warns; unmeasurable warns', () => {
    const jaildir = healthy().jaildir
    assert.equal(statusOf(checkSpace({jaildir, freeBytes: LOW_SPACE_BYTES})), 'ok')
    const low = checkSpace({jaildir, freeBytes: LOW_SPACE_BYTES - 1})
    assert.equal(low.status, 'warn')
    assert.match(low.what, /^only 1\.0 GiB free under \/usr\/jails$/)
    assert.equal(statusOf(checkSpace({jaildir, freeBytes: undefined})), 'warn')
  })

  it('leftovers: none ok; some warn and name --fix; while a tsez holds the lock they are its work (skip)', () => {
    assert.equal(statusOf(checkLeftovers({leftovers: [], lock: {state: 'free'}})), 'ok')
    const leftovers = [{kind: 'install staging' as const, path: '/usr/jails/.tsez-staging'}]
    assert.deepEqual(checkLeftovers({leftovers, lock: {state: 'free'}}), {
      id: 'leftovers',
      status: 'warn',
      what: 'interrupted work left install staging /usr/jails/.tsez-staging',
      fix: 'tsez doctor --fix removes them',
    })
    assert.equal(statusOf(checkLeftovers({leftovers, lock: {state: 'held', by: 'tsez create'}})), 'skip')
  })

  it('lock: free or held by a live tsez ok; held by a dead process warns', () => {
    assert.equal(statusOf(checkLock({lock: {state: 'free'}})), 'ok')
    assert.equal(statusOf(checkLock({lock: {state: 'held', by: 'tsez create (pid 7)'}})), 'ok')
    const stale = checkLock({lock: {state: 'stale', pid: 4242, command: 'install'}})
    assert.equal(stale.status, 'warn')
    assert.match(stale.what, /tsez install \(pid 4242\), which is dead/)
  })

  it('warnings and skips pass; one fail does not', () => {
    assert.ok(
      allPassed([
        {id: 'a', status: 'warn', what: 'w', fix: 'f'},
        {id: 'b', status: 'skip', what: 's'},
      ]),
    )
    assert.ok(
      !allPassed([
        {id: 'a', status: 'ok', what: 'o'},
        {id: 'b', status: 'fail', what: 'f', fix: 'x'},
      ]),
    )
  })
})
