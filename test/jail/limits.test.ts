import assert from 'node:assert/strict'

import {jailConfProblems, renderJailConf, type JailConfSpec} from '../../src/jail/conf-render.js'
import {parseCpuList} from '../../src/jail/cpuset.js'
import {mergeLimits, parseLimit, ruleText, type LimitRule} from '../../src/jail/limits.js'
import {resourceHooks} from '../../src/jail/resource-hooks.js'

const rule = (text: string, ncpu = 2): LimitRule => {
  const parsed = parseLimit(text, ncpu)
  if ('problem' in parsed) throw new Error(parsed.problem)
  return parsed
}
const problem = (text: string, ncpu = 2): string => {
  const parsed = parseLimit(text, ncpu)
  return 'problem' in parsed ? parsed.problem : `accepted as ${ruleText(parsed)}`
}

describe('jail/limits', () => {
  it('reads RESOURCE=AMOUNT[/per][:action] with deny by default, byte suffixes upper-cased, /jail as the default', () => {
    assert.equal(ruleText(rule('memoryuse=2g')), 'memoryuse:deny=2G')
    assert.equal(ruleText(rule('maxproc=200/user:log')), 'maxproc:log=200/user')
    assert.equal(ruleText(rule('vmemoryuse=100M/process:sigterm')), 'vmemoryuse:sigterm=100M/process')
    assert.equal(ruleText(rule('readbps=10M:throttle')), 'readbps:throttle=10M')
    assert.equal(ruleText(rule('openfiles=1024/jail')), 'openfiles:deny=1024')
    assert.equal(ruleText(rule('cputime=3600:devctl')), 'cputime:devctl=3600')
  })

  it('pcpu is percent of one CPU: up to 100 per CPU of the host', () => {
    assert.equal(ruleText(rule('pcpu=150', 2)), 'pcpu:deny=150')
    assert.match(problem('pcpu=150', 1), /pcpu is percent of one CPU: at most 100 on this host \(1 CPUs/)
    assert.match(problem('pcpu=201', 2), /at most 200/)
  })

  it('refuses what rctl(8) or the kernel would refuse, one line naming the input', () => {
    const cases: Array<[string, RegExp]> = [
      ['memory=2G', /unknown resource "memory"; known: cputime, datasize/],
      ['memoryuse=2Q', /amount "2Q" is not a whole number, optionally with K, M, G/],
      ['maxproc=2k', /a unit suffix is for bytes only; counts are plain numbers/],
      ['maxproc=-5', /amount "-5" is not a whole number/],
      ['maxproc=0', /amount 0 would forbid the resource entirely/],
      ['maxproc=1.5', /is not a whole number/],
      ['memoryuse=99999999E', /larger than rctl can hold/],
      ['cputime=10:deny', /rctl cannot deny cputime/],
      ['memoryuse=1G:throttle', /only readbps, writebps, readiops and writeiops can be throttled/],
      ['pcpu=50:throttle', /can be throttled/],
      ['swapuse=1G/process', /swapuse cannot be counted per process/],
      ['maxproc=10/host', /unknown per "host"/],
      ['maxproc=10:sigfoo', /unknown action "sigfoo"/],
      ['maxproc=10;reboot', /amount "10;reboot" is not a whole number/],
      ['maxproc', /write RESOURCE=AMOUNT/],
    ]
    for (const [text, expected] of cases) {
      const said = problem(text)
      assert.match(said, expected, text)
      assert.ok(said.startsWith(`limit ${JSON.stringify(text)}: `), said)
    }
  })

  it('a rule for the same resource and action replaces the earlier one in place', () => {
    const rules = [rule('memoryuse=1G'), rule('memoryuse=512M:log'), rule('maxproc=100')]
    assert.deepEqual(mergeLimits(rules, rule('memoryuse=2G')).map(ruleText), [
      'memoryuse:deny=2G',
      'memoryuse:log=512M',
      'maxproc:deny=100',
    ])
    assert.deepEqual(mergeLimits(rules, rule('nthr=50')).map(ruleText).at(-1), 'nthr:deny=50')
  })

  it('the jail.conf hooks: cpuset first, then one rctl -a per rule in exec.created, rctl -r in exec.poststop', () => {
    const limits = [rule('memoryuse=2G'), rule('maxproc=200/user:log')]
    assert.deepEqual(resourceHooks({name: 'web1', limits, cpuset: '0-1'}), [
      {param: 'exec.created', command: 'cpuset -l 0-1 -j web1'},
      {param: 'exec.created', command: 'rctl -a jail:web1:memoryuse:deny=2G'},
      {param: 'exec.created', command: 'rctl -a jail:web1:maxproc:log=200/user'},
      {param: 'exec.poststop', command: 'rctl -r jail:web1 || true'},
    ])
    assert.deepEqual(resourceHooks({name: 'web1', cpuset: '2'}), [
      {param: 'exec.created', command: 'cpuset -l 2 -j web1'},
    ])
    assert.deepEqual(resourceHooks({name: 'web1'}), [])
  })

  it('a hand-edited record cannot smuggle shell syntax into jail.conf: its hooks are refused, not rendered', () => {
    const spec: JailConfSpec = {
      name: 'web1',
      path: '/usr/jails/web1',
      hostname: 'web1',
      addresses: [],
      fstab: '/etc/fstab.web1',
      devfsRuleset: 4,
      execStart: '/bin/sh /etc/rc',
      execStop: '/bin/sh /etc/rc.shutdown jail',
      consoleLog: '/var/log/jail_web1_console.log',
      params: {},
    }
    const good = resourceHooks({name: 'web1', limits: [rule('memoryuse=2G')], cpuset: '0-1'})
    assert.deepEqual(jailConfProblems({...spec, hooks: good}), [])
    const edited = {resource: 'memoryuse', action: 'deny', amount: '2G; reboot'}
    for (const hooks of [
      resourceHooks({name: 'web1', limits: [edited]}),
      resourceHooks({name: 'web1', cpuset: '0 && reboot'}),
    ]) {
      assert.match(
        jailConfProblems({...spec, hooks}).join('; '),
        /is not a plain command \(a record edited by hand\?\)/,
      )
      assert.throws(() => renderJailConf({...spec, hooks}), /cannot write jail\.conf for web1/)
    }
  })

  it('cpuset lists: canonical, within hw.ncpu, upwards, no junk', () => {
    assert.deepEqual(parseCpuList('5,0-3,4', 8), {list: '0-5'})
    assert.deepEqual(parseCpuList('0,2,4', 8), {list: '0,2,4'})
    for (const [text, expected] of [
      ['0-999', /CPU 999 does not exist: this host has 2 CPUs, 0-1/],
      ['5-3', /range 5-3 goes downwards/],
      ['01', /no leading zeros/],
      ['0-1;reboot', /write CPU numbers and ranges/],
      ['-1', /write CPU numbers and ranges/],
      ['all', /write CPU numbers and ranges/],
    ] as const) {
      const parsed = parseCpuList(text, 2)
      assert.match('problem' in parsed ? parsed.problem : 'accepted', expected, text)
    }
  })
})
