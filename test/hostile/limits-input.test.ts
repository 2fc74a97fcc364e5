// Bad limits and CPU lists: exit 2, one line on stderr naming the input, the host and the rctl rules as they were.
import assert from 'node:assert/strict'

import {useHostileHost} from './support.js'

type Case = [args: string[], message: RegExp]

/** On the fake host's 2 CPUs (hw.ncpu), with web1 stopped and run1 running, kern.racct.enable=1. */
const CASES: Case[] = [
  [['limits', 'web1', 'memory=2G'], /limit "memory=2G": unknown resource "memory"; known: cputime/],
  [['limits', 'web1', 'memoryuse=2Q'], /amount "2Q" is not a whole number, optionally with K, M, G/],
  [['limits', 'web1', 'maxproc=2k'], /a unit suffix is for bytes only/],
  [['limits', 'web1', 'pcpu=201'], /pcpu is percent of one CPU: at most 200 on this host \(2 CPUs/],
  [['limits', 'web1', 'maxproc=-5'], /amount "-5" is not a whole number/],
  [['limits', 'web1', 'memoryuse=0'], /amount 0 would forbid the resource entirely/],
  [['limits', 'web1', 'memoryuse=99999999E'], /larger than rctl can hold/],
  [['limits', 'web1', 'cputime=60:deny'], /rctl cannot deny cputime/],
  [['limits', 'web1', 'memoryuse=1G:throttle'], /only readbps, writebps, readiops and writeiops can be throttled/],
  [['limits', 'web1', 'swapuse=1G/process'], /swapuse cannot be counted per process/],
  [['limits', 'web1', 'maxproc=10/host'], /unknown per "host"/],
  [['limits', 'web1', 'maxproc=10:sigfoo'], /unknown action "sigfoo"/],
  [['limits', 'web1', 'maxproc=$(reboot)'], /amount "\$\(reboot\)" is not a whole number/],
  [['limits', 'web1', 'maxproc=10;reboot'], /amount "10;reboot" is not a whole number/],
  [['limits', 'web1', 'maxproc=10:deny;reboot'], /unknown action "deny;reboot"/],
  [['limits', 'web1', 'junk'], /limit "junk": write RESOURCE=AMOUNT\[\/per\]\[:action\]/],
  [['limits', 'web1', 'memoryuse=\x1b[2J'], /amount "\\u001b\[2J" is not a whole number/],
  [['limits', 'web1', 'memoryuse=2G', 'memoryuse=3G'], /memoryuse:deny is given twice/],
  [['limits', 'web1', '--unset', 'memoryuse'], /--unset "memoryuse": web1 has no memoryuse limit/],
  [['limits', 'web1', '--unset', 'bogus'], /--unset "bogus": unknown resource/],
  [['limits', 'nosuch', 'memoryuse=2G'], /no jail named "nosuch"/],
  [['limits'], /give the jail: tsez limits NAME/],
  [['config', 'web1', '--cpuset', '0-999'], /CPU 999 does not exist: this host has 2 CPUs, 0-1 \(sysctl hw\.ncpu\)/],
  [['config', 'web1', '--cpuset', '5-3'], /range 5-3 goes downwards; write 3-5/],
  [['config', 'web1', '--cpuset', '0-1;reboot'], /write CPU numbers and ranges separated by commas/],
  [['config', 'web1', '--cpuset', '$(reboot)'], /write CPU numbers and ranges/],
  [['config', 'web1', '--cpuset', 'all'], /write CPU numbers and ranges/],
  [['config', 'web1', '--cpuset', '00'], /no leading zeros/],
  [['config', 'web1', '--cpuset', ''], /--cpuset "": give a CPU list \(e\.g\. 0-3\), or --unset-cpuset to unpin/],
  [['config', 'web1', '--unset-cpuset'], /--unset-cpuset: web1 is not pinned to CPUs/],
  [['config', 'web1', '--param', 'cpuset.id=3'], /cpuset\.id.*--cpuset/],
]

describe('hostile: limits and CPU lists', function () {
  this.timeout(120_000)
  const h = useHostileHost()
  const rules = () => h.host.fake.read('rctl.rules') ?? ''

  before(function () {
    if (process.getuid?.() !== 0) this.skip()
    h.host.fake.set('sysctl.kern.racct.enable', '1')
    h.host.fake.set('rctl.rules', 'jail:run1:maxproc:deny=100\n')
  })

  for (const [args, message] of CASES) {
    it(`tsez ${args.map((a) => JSON.stringify(a)).join(' ')}`, async () => {
      const before = rules()
      await h.refuses(args, {exit: 2, message})
      assert.equal(rules(), before, 'the rctl rules changed')
    })
  }

  it('pcpu=150 on a 1-CPU host (pcpu is percent of one CPU)', async () => {
    h.host.fake.set('sysctl.hw.ncpu', '1')
    try {
      await h.refuses(['limits', 'web1', 'pcpu=150'], {exit: 2, message: /at most 100 on this host \(1 CPUs/})
    } finally {
      h.host.fake.unset('sysctl.hw.ncpu')
    }
  })

  it('a running jail without RACCT: its limits cannot be applied, so none are recorded', async () => {
    h.host.fake.set('sysctl.kern.racct.enable', '0')
    try {
      const before = rules()
      await h.refuses(['limits', 'run1', 'memoryuse=2G'], {
        exit: 2,
        message: /add kern\.racct\.enable=1 to \/boot\/loader\.conf/,
      })
      assert.equal(rules(), before)
    } finally {
      h.host.fake.set('sysctl.kern.racct.enable', '1')
    }
  })
})
