import assert from 'node:assert/strict'

import {resolveConfig} from '../../src/config.js'
import {
  describeCreatePlan,
  isFlavourMetadata,
  planCreate,
  type CreateObservation,
  type CreateRequest,
} from '../../src/create/plan.js'

const config = resolveConfig(
  new Map([
    ['tsez_jaildir', '/j'],
    ['tsez_dbdir', '/db'],
  ]),
  '/tsez.conf',
)
const same = (p: string) => ({path: p, real: p})
const seen = (extra: Partial<CreateObservation> = {}): CreateObservation => ({
  existingJails: ['db1'],
  reserved: ['basejail', 'newjail', 'flavours', 'tsez_archives'],
  availableFlavours: ['default', 'webserver'],
  flavourScripts: {webserver: '/j/flavours/webserver/tsez.flavour'},
  root: 'missing',
  rootReal: '/j/www_example_com',
  around: {
    jaildir: same('/j'),
    own: ['/j/basejail', '/j/newjail', '/j/flavours', '/j/tsez_archives', '/db'].map(same),
    jails: [{name: 'db1', ...same('/j/db1')}],
  },
  conf: 'missing',
  fstab: 'missing',
  newjailPresent: true,
  newjailHasEtcState: true,
  release: '14.3-RELEASE-p2',
  now: new Date('2026-11-28T12:00:00Z'),
  nonce: 'abcd1234',
  ...extra,
})
const request = (extra: Partial<CreateRequest> = {}): CreateRequest => ({
  name: 'www.example.com',
  ipList: '10.0.0.5',
  existingRoot: false,
  norun: false,
  ...extra,
})

describe('create/plan', () => {
  it('roots the jail at tsez_jaildir/<jail name> and stages beside it', () => {
    const plan = planCreate(config, request({flavours: ['default', 'webserver']}), seen())
    assert.ok(!Array.isArray(plan))
    assert.equal(plan.record.root, '/j/www_example_com')
    assert.equal(plan.staging, '/j/.tsez-create-www_example_com.abcd1234')
    assert.equal(plan.files.journal, '/db/create-www_example_com.json')
    assert.deepEqual(
      plan.flavours.map((f) => f.script?.target),
      [undefined, 'var/db/tsez/firstboot/02-webserver'],
    )
    assert.deepEqual(
      [plan.record.hostname, plan.record.release, plan.record.created],
      ['www.example.com', '14.3-RELEASE-p2', '2026-11-28T12:00:00.000Z'],
    )
    const lines = describeCreatePlan(plan)
    assert.equal(lines.at(-2), `write ${config.confdir}/www_example_com.json (commit)`)
  })

  it('records the template etcupdate state once, before the copy, when the newjail has none', () => {
    const plan = planCreate(config, request(), seen({newjailHasEtcState: false}))
    assert.ok(!Array.isArray(plan))
    assert.deepEqual(plan.templateEtc, {release: '14.3-RELEASE', tarball: '/db/etcupdate/etc-14.3-RELEASE.tbz'})
    const lines = describeCreatePlan(plan)
    assert.match(lines[1] ?? '', /^run etcupdate extract -D \/j\/newjail -t \/db\/etcupdate\/etc-14\.3-RELEASE\.tbz /)
    assert.match(lines[2] ?? '', /^copy \/j\/newjail -> /)
    const existing = planCreate(
      config,
      request({existingRoot: true}),
      seen({newjailHasEtcState: false, root: 'directory'}),
    )
    assert.ok(!Array.isArray(existing))
    assert.equal(existing.templateEtc, undefined, '-x copies nothing, so it records nothing in the template')
    const present = planCreate(config, request(), seen())
    assert.ok(!Array.isArray(present))
    assert.equal(present.templateEtc, undefined)
  })

  it('takes a relative -r under the jail directory', () => {
    const plan = planCreate(config, request({rootdir: 'web/www'}), seen({rootReal: '/j/web/www'}))
    assert.ok(!Array.isArray(plan))
    assert.equal(plan.record.root, '/j/web/www')
    assert.equal(plan.staging, '/j/web/.tsez-create-www_example_com.abcd1234')
  })

  it("keeps the root clear of /, other jails' roots and tsez's trees, as written and as resolved", () => {
    const problems = (rootdir: string, extra: Partial<CreateObservation> = {}, existingRoot = false) => {
      const planned = planCreate(config, request({rootdir, existingRoot}), seen(extra))
      assert.ok(Array.isArray(planned), `${rootdir} was accepted`)
      return planned.join('; ')
    }
    assert.match(problems('/', {rootReal: '/', root: 'directory'}, true), /is the host's \//)
    assert.match(problems('db1/home/x', {rootReal: '/j/db1/home/x'}), /is inside jail db1's root \/j\/db1/)
    assert.match(problems('/j', {rootReal: '/j', root: 'directory'}, true), /is or contains the jail directory/)
    assert.match(problems('../../x', {rootReal: '/x'}), /leaves tsez_jaildir \/j; a relative -r stays under it/)
    assert.match(
      problems('link/x', {rootReal: '/j/db1/x'}),
      /\/j\/link\/x \(which resolves to \/j\/db1\/x\) is inside jail db1/,
    )
    assert.match(problems('out/x', {rootReal: '/elsewhere/x'}), /resolves to \/elsewhere\/x\) leaves tsez_jaildir/)
    assert.match(
      problems(
        '/srv',
        {rootReal: '/srv', root: 'directory', around: {...seen().around, jails: [{name: 'db1', ...same('/srv/db1')}]}},
        true,
      ),
      /contains jail db1's root/,
    )
    assert.match(problems('/j/newjail/x', {rootReal: '/j/newjail/x'}), /overlaps tsez's own \/j\/newjail/)
    const beside = planCreate(config, request({rootdir: '/srv/www'}), seen({rootReal: '/srv/www'}))
    assert.ok(!Array.isArray(beside), 'an absolute root outside the jail directory is fine')
  })

  it('collects every problem at once', () => {
    const problems = planCreate(
      config,
      request({flavours: ['nosuch'], existingRoot: true, rootdir: '/j/basejail/x'}),
      seen({conf: 'foreign', release: undefined, root: 'missing', rootReal: '/j/basejail/x'}),
    )
    assert.ok(Array.isArray(problems))
    for (const rule of [
      /drop -f/,
      /unknown flavour nosuch .*available: default, webserver/,
      /overlaps/,
      /-x needs/,
      /not written by tsez/,
      /tsez install/,
    ]) {
      assert.ok(
        problems.some((p) => rule.test(p)),
        `${rule} in ${problems.join(' | ')}`,
      )
    }
  })

  it('skips only top-level flavour metadata', () => {
    assert.deepEqual(
      ['README', 'readme.md', 'tsez.flavour', 'ezjail.flavour', 'etc/README', 'etc/rc.conf'].map(isFlavourMetadata),
      [true, true, true, true, false, false],
    )
  })
})
