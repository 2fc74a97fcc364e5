// The pure planner of update -b/-i: the release a source tree builds, the make runs into staging, the /etc merges.
import assert from 'node:assert/strict'

import {resolveConfig} from '../../src/config.js'
import {UsageError} from '../../src/errors.js'
import {parseRelease} from '../../src/dist/release.js'
import type {EtcTarget} from '../../src/update/plan.js'
import {describeSourcePlan, planSourceUpdate, releaseOfSource, type SourceFacts} from '../../src/update/source-plan.js'

const config = resolveConfig(
  new Map([
    ['tsez_jaildir', '/j'],
    ['tsez_dbdir', '/db'],
  ]),
  undefined,
)
const newvers = (revision: string, branch: string) =>
  `TYPE="FreeBSD"\nREVISION="${revision}"\nBRANCH="${branch}"\nif [ -n "\${BRANCH_OVERRIDE}" ]; then\n\tBRANCH=\${BRANCH_OVERRIDE}\nfi\n`
const target = (name: string, hasEtcState: boolean): EtcTarget => ({
  name,
  root: `/j/${name}`,
  conf: `/etc/jail.conf.d/${name}.conf`,
  running: false,
  hasEtcState,
  release: '14.3-RELEASE',
  template: false,
})
const facts = (overrides: Partial<SourceFacts> = {}): SourceFacts => ({
  sourcetree: '/usr/src',
  newvers: newvers('14.3', 'RELEASE-p5'),
  ncpu: 8,
  versionBefore: '14.3-RELEASE-p2',
  targets: [target('a', true), target('b', false)],
  etcSources: new Map([
    [
      '14.3-RELEASE',
      {
        release: parseRelease('14.3-RELEASE'),
        platform: {machine: 'amd64', arch: 'amd64'},
        mirror: {kind: 'http', url: 'https://m/14.3-RELEASE/'},
      },
    ],
  ]),
  tarballExists: () => false,
  ...overrides,
})

describe('update/source-plan', () => {
  it('reads the release from newvers.sh (patch level dropped); a tree without one is exit 2', () => {
    assert.equal(releaseOfSource('/usr/src', newvers('14.3', 'RELEASE-p5')), '14.3-RELEASE')
    assert.equal(releaseOfSource('/usr/src', newvers('15.0', 'STABLE')), '15.0-STABLE')
    assert.throws(() => releaseOfSource('/usr/src', undefined), UsageError)
    assert.throws(() => releaseOfSource('/usr/src', 'TYPE="FreeBSD"\n'), /newvers\.sh names no REVISION and BRANCH/)
  })

  it('-i of the same release: installworld and distribution into staging, no buildworld, no etcupdate', () => {
    const plan = planSourceUpdate(config, {action: 'installworld', parallel: 2}, facts())
    assert.equal(plan.buildworld, undefined)
    assert.deepEqual(
      plan.fill.map((c) => [c.program, ...c.argv]),
      [
        ['make', '-C', '/usr/src', 'installworld', 'DESTDIR=/j/.tsez-staging/full', 'DB_FROM_SRC=1'],
        ['make', '-C', '/usr/src', 'distribution', 'DESTDIR=/j/.tsez-staging/full', 'DB_FROM_SRC=1'],
      ],
    )
    assert.deepEqual([plan.etcBuild, plan.merges, plan.bootstraps], [undefined, [], []])
    assert.ok(describeSourcePlan(plan, '/db/release.json').some((line) => /14\.3-RELEASE again: no jail/.test(line)))
  })

  it('-b to another release: buildworld -j NCPU, etcupdate build once, bootstraps then a merge per jail', () => {
    const plan = planSourceUpdate(config, {action: 'build', parallel: 2}, facts({newvers: newvers('14.4', 'RELEASE')}))
    assert.deepEqual(plan.buildworld?.argv, ['-C', '/usr/src', '-j', '8', 'buildworld'])
    assert.equal(plan.releaseAfter, '14.4-RELEASE')
    assert.deepEqual(plan.etcBuild, {
      argv: ['build', '-d', '/db/etcupdate/.build-14.4-RELEASE-source', '-s', '/usr/src', '/db/etcupdate/.build-14.4-RELEASE-source/etc-14.4-RELEASE.tbz'], // prettier-ignore
      workdir: '/db/etcupdate/.build-14.4-RELEASE-source',
      built: '/db/etcupdate/.build-14.4-RELEASE-source/etc-14.4-RELEASE.tbz',
      tarball: '/db/etcupdate/etc-14.4-RELEASE.tbz',
    })
    assert.deepEqual(
      plan.bootstraps.map((b) => [b.target.name, b.tarball]),
      [['b', '/db/etcupdate/etc-14.3-RELEASE.tbz']],
    )
    assert.deepEqual(
      plan.merges.map((m) => [m.target.name, m.tarball]),
      [
        ['a', '/db/etcupdate/etc-14.4-RELEASE.tbz'],
        ['b', '/db/etcupdate/etc-14.4-RELEASE.tbz'],
      ],
    )
    const lines = describeSourcePlan(plan, '/db/release.json')
    const order = ['extract -D /j/b', '-j 8 buildworld', 'installworld', 'distribution', 'etcupdate build', 'swap ', 'etcupdate -D /j/a'] // prettier-ignore
    const at = order.map((needle) => lines.findIndex((line) => line.includes(needle)))
    assert.ok(
      at.every((index, i) => index >= 0 && (i === 0 || index > at[i - 1]!)),
      lines.join('\n'),
    )
  })
})
