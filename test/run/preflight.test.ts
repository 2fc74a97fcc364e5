import assert from 'node:assert/strict'

import {fstabMountPoints, mountedPoints, startProblem, type StartFacts} from '../../src/run/preflight.js'

const facts: StartFacts = {
  name: 'web1',
  thick: false,
  mountPoint: '/usr/jails/web1/basejail',
  mountPointIsDirectory: true,
  basejail: '/usr/jails/basejail',
  basejailInstalled: true,
  fstab: '/etc/fstab.web1',
  fstabMountPoints: ['/usr/jails/web1/basejail', '/usr/jails/web1/data'],
  limits: 0,
}

describe('run/preflight', () => {
  it('reads the mount points of an fstab, skipping comments and blank lines', () => {
    const text =
      '# basejail\n/usr/jails/basejail\t/usr/jails/web1/basejail\tnullfs\tro\t0\t0\n\n/data /usr/jails/web1/data nullfs rw 0 0 # x\n'
    assert.deepEqual(fstabMountPoints(text), ['/usr/jails/web1/basejail', '/usr/jails/web1/data'])
  })

  it('allows a clean start and names each obstacle otherwise', () => {
    assert.equal(startProblem(facts, mountedPoints(['/', '/usr/jails/other/basejail'])), undefined)
    assert.match(
      startProblem(facts, mountedPoints(['/usr/jails/web1/data/'])) ?? '',
      /^\/usr\/jails\/web1\/data is already mounted although the jail is stopped: unmount it/,
    )
    assert.match(startProblem({...facts, basejailInstalled: false}, new Set()) ?? '', /no basejail is installed/)
    assert.match(
      startProblem({...facts, mountPointIsDirectory: false}, new Set()) ?? '',
      /mount point \/usr\/jails\/web1\/basejail is missing/,
    )
    assert.match(
      startProblem({...facts, fstabMountPoints: undefined}, new Set()) ?? '',
      /cannot read \/etc\/fstab.web1/,
    )
  })

  it('a jail with limits starts only with kern.racct.enable=1, and is told how to enable it', () => {
    const limited = {...facts, limits: 2}
    for (const racct of [0, undefined]) {
      const problem = startProblem({...limited, ...(racct === undefined ? {} : {racct})}, new Set()) ?? ''
      assert.match(problem, /^web1 has resource limits \(tsez limits web1\) and /)
      assert.match(problem, /add kern\.racct\.enable=1 to \/boot\/loader\.conf and reboot/)
    }
    assert.equal(startProblem({...limited, racct: 1}, new Set()), undefined)
    assert.equal(startProblem({...facts, racct: 0}, new Set()), undefined, 'no limits: RACCT does not matter')
  })

  it('a thick jail (an adopted classic jail) needs neither a basejail nor its mount point', () => {
    const thick = {...facts, thick: true, basejailInstalled: false, mountPointIsDirectory: false}
    assert.equal(startProblem(thick, new Set()), undefined)
  })
})
