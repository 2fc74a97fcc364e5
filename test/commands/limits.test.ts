import assert from 'node:assert/strict'
import {readFile} from 'node:fs/promises'
import path from 'node:path'

import {parseJailConf} from '../../src/jail/conf-parse.js'
import type {FakeHost} from '../fixtures/fake-host.js'
import {tsez, tsezOk} from '../support/cli.js'
import {seedJail, type SeededHost} from '../support/seed-jails.js'
import {useSeededFakeHost} from '../support/seeded-fake-host.js'

describe('tsez limits', () => {
  let host: SeededHost
  let fake: FakeHost
  let env: NodeJS.ProcessEnv
  useSeededFakeHost((made) => {
    ;({host, fake, env} = made)
  })
  beforeEach(async () => {
    fake.set('sysctl.kern.racct.enable', '1')
    await seedJail(host.config, {name: 'web1'})
  })

  const confPath = (name: string) => path.join(host.config.jailconfDir, `${name}.conf`)
  const confText = (name: string) => readFile(confPath(name), 'utf8')
  const record = async (name: string) =>
    JSON.parse(await readFile(path.join(host.config.confdir, `${name}.json`), 'utf8')) as Record<string, unknown>
  const rules = () => (fake.read('rctl.rules') ?? '').split('\n').filter(Boolean)
  const ok = (args: string[]) => tsezOk(args, env)

  it('writes the rules into the record and exactly these jail.conf lines, shows them, and --unset drops them', async () => {
    await ok(['limits', 'web1', 'memoryuse=2G', 'pcpu=50', 'maxproc=200/user:log'])
    await ok(['config', 'web1', '--cpuset', '1,0'])
    const text = await confText('web1')
    const tail = text.split('\n').slice(-8)
    assert.deepEqual(tail, [
      '\tenforce_statfs = 2;',
      '\texec.created += "cpuset -l 0-1 -j web1";',
      '\texec.created += "rctl -a jail:web1:memoryuse:deny=2G";',
      '\texec.created += "rctl -a jail:web1:pcpu:deny=50";',
      '\texec.created += "rctl -a jail:web1:maxproc:log=200/user";',
      '\texec.poststop += "rctl -r jail:web1 || true";',
      '}',
      '',
    ])
    const [parsed] = parseJailConf(text)
    assert.deepEqual(parsed?.params.get('exec.created'), [
      'cpuset -l 0-1 -j web1',
      'rctl -a jail:web1:memoryuse:deny=2G',
      'rctl -a jail:web1:pcpu:deny=50',
      'rctl -a jail:web1:maxproc:log=200/user',
    ])
    assert.deepEqual(parsed?.params.get('exec.poststop'), ['rctl -r jail:web1 || true'])
    const saved = await record('web1')
    assert.deepEqual(saved.limits, [
      {resource: 'memoryuse', action: 'deny', amount: '2G'},
      {resource: 'pcpu', action: 'deny', amount: '50'},
      {resource: 'maxproc', action: 'log', amount: '200', per: 'user'},
    ])
    assert.equal(saved.cpuset, '0-1')

    const shown = await ok(['limits', 'web1'])
    assert.equal(shown.stdout, 'memoryuse:deny=2G\npcpu:deny=50\nmaxproc:log=200/user\n')
    const json = JSON.parse((await ok(['limits', 'web1', '--json'])).stdout) as {limits: string[]; changed: boolean}
    assert.deepEqual(
      [json.limits, json.changed],
      [['memoryuse:deny=2G', 'pcpu:deny=50', 'maxproc:log=200/user'], false],
    )
    const listed = JSON.parse((await ok(['list', '--json'])).stdout) as {
      jails: Array<{limits?: string[]; cpuset?: string}>
    }
    assert.deepEqual([listed.jails[0]?.limits, listed.jails[0]?.cpuset], [json.limits, '0-1'])

    await ok(['limits', 'web1', '--unset', 'memoryuse', '--unset', 'pcpu', '--unset', 'maxproc'])
    await ok(['config', 'web1', '--unset-cpuset'])
    assert.doesNotMatch(await confText('web1'), /exec\.(created|poststop)|rctl|cpuset/)
    assert.equal('limits' in (await record('web1')), false)
    assert.equal((await ok(['limits', 'web1'])).stdout, 'web1 has no limits\n')
    assert.deepEqual(fake.calls('rctl'), [], 'a stopped jail: nothing is applied')
  })

  it('--dry-run prints the plan and changes nothing', async () => {
    const before = await confText('web1')
    const result = await ok(['limits', 'web1', 'memoryuse=1G', '--dry-run'])
    assert.match(result.stdout, /^write .*config-web1\.json \(journal\)$/m)
    assert.equal(await confText('web1'), before)
    assert.equal('limits' in (await record('web1')), false)
  })

  it('on a running jail: its rules are replaced at once (rctl -r, then rctl -a each)', async () => {
    await ok(['start', 'web1'])
    fake.set('rctl.rules', 'jail:web1:memoryuse:deny=9G\njail:db1:maxproc:deny=5\n')
    const result = await ok(['limits', 'web1', 'memoryuse=2G', 'nthr=100:log', '--json'])
    assert.equal((JSON.parse(result.stdout) as {applied: boolean}).applied, true)
    assert.deepEqual(fake.calls('rctl'), [
      ['rctl', '-r', 'jail:web1'],
      ['rctl', '-a', 'jail:web1:memoryuse:deny=2G'],
      ['rctl', '-a', 'jail:web1:nthr:log=100'],
    ])
    assert.deepEqual(rules(), ['jail:db1:maxproc:deny=5', 'jail:web1:memoryuse:deny=2G', 'jail:web1:nthr:log=100'])
  })

  it('on a running jail, a rule rctl refuses puts the old rules back and changes nothing (exit 1)', async () => {
    await ok(['limits', 'web1', 'memoryuse=2G'])
    await ok(['start', 'web1'])
    fake.set('rctl.rules', 'jail:web1:memoryuse:deny=2G\n')
    const conf = await confText('web1')
    fake.set('rctl.fail.openfiles', 'Operation not supported')
    const result = await tsez(['limits', 'web1', 'openfiles=100'], env)
    assert.equal(result.exitCode, 1, result.stderr)
    assert.match(result.stderr, /applying the limits to running jail web1 failed, nothing changed/)
    assert.deepEqual(rules(), ['jail:web1:memoryuse:deny=2G'])
    assert.equal(await confText('web1'), conf)
    assert.deepEqual((await record('web1')).limits, [{resource: 'memoryuse', action: 'deny', amount: '2G'}])
  })

  it('a running jail without RACCT: refused (exit 2) with how to enable it, nothing changed', async () => {
    await ok(['start', 'web1'])
    fake.set('sysctl.kern.racct.enable', '0')
    const result = await tsez(['limits', 'web1', 'memoryuse=2G'], env)
    assert.equal(result.exitCode, 2)
    assert.match(result.stderr, /add kern\.racct\.enable=1 to \/boot\/loader\.conf and reboot/)
    assert.equal('limits' in (await record('web1')), false)
  })

  it('start refuses a jail with limits when kern.racct.enable is 0 or missing, saying how to enable it', async () => {
    await ok(['limits', 'web1', 'memoryuse=2G'])
    for (const racct of ['0', undefined]) {
      if (racct === undefined) fake.unset('sysctl.kern.racct.enable')
      else fake.set('sysctl.kern.racct.enable', racct)
      const result = await tsez(['start', 'web1'], env)
      assert.equal(result.exitCode, 1)
      assert.match(result.stdout + result.stderr, /add kern\.racct\.enable=1 to \/boot\/loader\.conf and reboot/)
      assert.doesNotMatch(result.stdout + result.stderr, /RACCT\/RCTL present, but disabled/)
      assert.deepEqual(fake.calls('jail'), [])
    }
  })

  it('start runs the jail.conf hooks: cpuset and rctl -a after creation; stop removes the rules after removal', async () => {
    await ok(['limits', 'web1', 'memoryuse=2G', 'maxproc=200:log'])
    await ok(['config', 'web1', '--cpuset', '1'])
    await ok(['start', 'web1'])
    const sequence = () =>
      fake
        .calls()
        .filter(([program]) => ['jail', 'rctl', 'cpuset'].includes(program ?? ''))
        .map((argv) => argv.join(' '))
    assert.deepEqual(sequence(), [
      `jail -f ${confPath('web1')} -c web1`,
      'cpuset -l 1 -j web1',
      'rctl -a jail:web1:memoryuse:deny=2G',
      'rctl -a jail:web1:maxproc:log=200',
    ])
    assert.deepEqual(rules(), ['jail:web1:memoryuse:deny=2G', 'jail:web1:maxproc:log=200'])
    assert.equal(fake.read('cpuset.web1'), '1\n')
    await ok(['stop', 'web1'])
    assert.deepEqual(sequence().slice(4), [`jail -f ${confPath('web1')} -r web1`, 'rctl -r jail:web1'])
    assert.deepEqual(rules(), [])

    await ok(['start', 'web1'])
    fake.set('rctl.rules', '')
    await ok(['stop', 'web1'])
    assert.deepEqual(fake.jails(), [], 'rules removed by hand (rctl -r exits 1) do not fail the stop')
  })

  it('a rule exec.created cannot add fails the start and leaves no rules (jail(8) runs no poststop then)', async () => {
    await ok(['limits', 'web1', 'memoryuse=2G', 'maxproc=200'])
    fake.set('rctl.fail.maxproc', 'Operation not supported')
    const result = await tsez(['start', 'web1'], env)
    assert.equal(result.exitCode, 1)
    assert.deepEqual(fake.jails(), [])
    assert.deepEqual(
      fake.calls('rctl').map((argv) => argv.join(' ')),
      ['rctl -a jail:web1:memoryuse:deny=2G', 'rctl -a jail:web1:maxproc:deny=200', 'rctl -r jail:web1'],
    )
    assert.deepEqual(rules(), [])
  })

  it('a failed start leaves no rules: tsez removes what exec.created added before jail(8) failed', async () => {
    await ok(['limits', 'web1', 'memoryuse=2G'])
    // What exec.created left when exec.start then failed (jail(8) runs no exec.poststop for a failed creation).
    fake.set('rctl.rules', 'jail:web1:memoryuse:deny=2G\n')
    fake.set('jail.fail.web1', 'jail: web1: exec.start failed')
    const result = await tsez(['start', 'web1'], env)
    assert.equal(result.exitCode, 1)
    assert.deepEqual(rules(), [])
    assert.deepEqual(fake.calls('rctl').at(-1), ['rctl', '-r', 'jail:web1'])
  })
})
