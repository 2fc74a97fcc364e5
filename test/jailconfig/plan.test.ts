import assert from 'node:assert/strict'

import {resolveConfig} from '../../src/config.js'
import {planConfig, type ConfigObservation, type ConfigRequest} from '../../src/jailconfig/plan.js'
import type {JailRecord} from '../../src/jail/store.js'

const config = resolveConfig(new Map([['tsez_jaildir', '/j']]), '/tsez.conf')
const same = (p: string) => ({path: p, real: p})

function jail(name: string, depend: string[] = [], root = `/j/${name}`): JailRecord {
  return {
    version: 1,
    name,
    hostname: name,
    root,
    addresses: ['10.0.0.1'],
    flavours: [],
    run: true,
    depend,
    params: {},
    release: '14.3-RELEASE',
    created: '2026-01-01T00:00:00.000Z',
  }
}

const problems = (planned: ReturnType<typeof planConfig>) => (Array.isArray(planned) ? planned.join('; ') : 'accepted')

function plan(request: ConfigRequest, jails: JailRecord[], extra: Partial<ConfigObservation> = {}) {
  const record = jails.find((j) => j.name === request.name)!
  return planConfig(config, request, {
    record,
    running: false,
    jails,
    reserved: ['basejail', 'newjail', 'flavours', 'tsez_archives'],
    newRoot: 'missing',
    newRootReal: `/j/${request.rename ?? request.name}`,
    around: {
      jaildir: same('/j'),
      own: ['/j/basejail', '/j/newjail'].map(same),
      jails: jails.filter((j) => j.name !== record.name).map((j) => ({name: j.name, ...same(j.root)})),
    },
    newConf: 'missing',
    newFstab: 'missing',
    ncpu: 4,
    ...extra,
  })
}

describe('jailconfig/plan', () => {
  it('refuses a --depend that closes a cycle, naming it, and takes one that does not', () => {
    const jails = [jail('a', ['b']), jail('b', ['c']), jail('c'), jail('d')]
    assert.deepEqual(plan({name: 'c', depend: ['a', 'd']}, jails), ['--depend a: dependency cycle c -> a -> b -> c'])
    assert.deepEqual(plan({name: 'b', depend: ['a']}, jails), ['--depend a: dependency cycle b -> a -> b'])
    const fine = plan({name: 'd', depend: ['a']}, jails)
    assert.ok(!Array.isArray(fine))
    assert.deepEqual(fine.after.depend, ['a'])
  })

  it('--hostname refuses what another jail is called (name or hostname); its own name is fine', () => {
    const jails = [jail('a'), {...jail('b'), hostname: 'www.example.org'}]
    assert.match(
      problems(plan({name: 'a', hostname: 'www.example.org'}, jails)),
      /^--hostname: jail b has the hostname/,
    )
    assert.match(problems(plan({name: 'a', hostname: 'b'}, jails)), /^--hostname: jail b has the name "?b"? already/)
    assert.equal(problems(plan({name: 'a', hostname: 'a'}, jails)), 'accepted')
    assert.equal(problems(plan({name: 'b', hostname: 'www.example.org'}, jails)), 'accepted')
  })

  it('--undepend drops names on the list (as given or by hostname), refuses others and a name also given to --depend', () => {
    const jails = [jail('web1', ['db1', 'www_example_com', 'ghost']), jail('db1'), jail('www_example_com')]
    const dropped = plan({name: 'web1', undepend: ['www.example.com', 'ghost']}, jails)
    assert.ok(!Array.isArray(dropped), problems(dropped))
    assert.deepEqual(dropped.after.depend, ['db1'])
    assert.deepEqual(jails[0]?.depend, ['db1', 'www_example_com', 'ghost'], 'the observed record is left as it was')
    assert.deepEqual(plan({name: 'web1', undepend: ['cache']}, jails), [
      '--undepend "cache": web1 does not depend on it',
    ])
    assert.deepEqual(plan({name: 'web1', undepend: ['db1'], depend: ['db1']}, jails), [
      '--undepend "db1": also given to --depend',
    ])
    assert.ok(!Array.isArray(plan({name: 'web1', undepend: ['db1'], depend: ['www_example_com']}, jails)))
  })

  it('a moved root must keep clear of the other jails and of tsez own trees, as resolved too', () => {
    const jails = [jail('web1'), jail('lost', [], '/j/nn/sub')]
    assert.match(problems(plan({name: 'web1', rename: 'nn'}, jails)), /\/j\/nn contains jail lost's root \/j\/nn\/sub/)
    const through = plan({name: 'web1', rename: 'mm'}, jails, {newRootReal: '/j/basejail/mm'})
    assert.match(problems(through), /\/j\/mm \(which resolves to \/j\/basejail\/mm\) overlaps tsez's own \/j\/basejail/)
    const fine = plan({name: 'web1', rename: 'www.example.com'}, jails)
    assert.ok(!Array.isArray(fine))
    assert.equal(fine.after.root, '/j/www_example_com')
  })

  it('--cpuset takes a cpuset(1) list of existing CPUs in canonical form; --unset-cpuset drops it', () => {
    const jails = [jail('web1')]
    const pinned = plan({name: 'web1', cpuset: '3,0-1,2'}, jails)
    assert.ok(!Array.isArray(pinned))
    assert.equal(pinned.after.cpuset, '0-3')
    const odd = plan({name: 'web1', cpuset: '1,3'}, jails)
    assert.equal(Array.isArray(odd) ? odd : odd.after.cpuset, '1,3')
    assert.match(
      problems(plan({name: 'web1', cpuset: '0-4'}, jails)),
      /CPU 4 does not exist: this host has 4 CPUs, 0-3/,
    )
    assert.match(problems(plan({name: 'web1', cpuset: '3-1'}, jails)), /range 3-1 goes downwards; write 1-3/)
    assert.match(problems(plan({name: 'web1', cpuset: ''}, jails)), /--unset-cpuset to unpin/)
    assert.match(problems(plan({name: 'web1', cpuset: 'all'}, jails)), /write CPU numbers and ranges/)
    assert.match(problems(plan({name: 'web1', unsetCpuset: true}, jails)), /web1 is not pinned to CPUs/)
    const unpinned = plan({name: 'web1', unsetCpuset: true}, [{...jail('web1'), cpuset: '0-1'}])
    assert.ok(!Array.isArray(unpinned))
    assert.equal('cpuset' in unpinned.after, false)
  })
})
