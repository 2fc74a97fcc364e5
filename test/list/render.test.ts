import assert from 'node:assert/strict'

import {parseColumns, renderJailTable} from '../../src/list/render.js'
import type {ListedJail} from '../../src/list/service.js'

const jail = (extra: Partial<ListedJail>): ListedJail => ({
  name: 'web1',
  state: 'stopped',
  jid: null,
  addresses: ['10.0.0.5'],
  hostname: 'web1',
  root: '/usr/jails/web1',
  thick: false,
  dataset: null,
  release: '14.3-RELEASE-p2',
  flavours: [],
  depend: [],
  run: true,
  params: {},
  created: '2026-01-01T00:00:00.000Z',
  createdRelease: '14.3-RELEASE',
  ...extra,
})

describe('list/render', () => {
  it("prints ezjail's columns plus the release, sized from their content, one row per jail", () => {
    const text = renderJailTable([
      jail({state: 'running', jid: 7, addresses: ['em0|10.0.0.5/24', 'fd00::5']}),
      jail({name: 'db', hostname: 'db.example.com', state: 'norun', root: '/usr/jails/db'}),
      jail({name: 'half', hostname: '', state: 'incomplete', addresses: [], root: null, release: null, problem: 'p'}),
    ])
    assert.equal(
      text,
      [
        'STA JID IP                  Hostname       Root            Release',
        '--- --- ------------------- -------------- --------------- ---------------',
        'DR  7   10.0.0.5/24,fd00::5 web1           /usr/jails/web1 14.3-RELEASE-p2',
        'DSN N/A 10.0.0.5            db.example.com /usr/jails/db   14.3-RELEASE-p2',
        '--  N/A -                   half           -               -',
        '    incomplete: p',
        '',
      ].join('\n'),
    )
  })

  it('a long root widens its column instead of pushing Release out of line', () => {
    const long = `/usr/jails/${'x'.repeat(60)}`
    const lines = renderJailTable([jail({root: long}), jail({name: 'b', hostname: 'b'})]).split('\n')
    const at = (line: string | undefined) => line?.indexOf('14.3-RELEASE-p2')
    assert.equal(at(lines[2]), at(lines[3]))
    assert.equal(at(lines[2]), (lines[0] ?? '').indexOf('Release'))
  })

  it('-o picks columns in the order given and refuses an unknown one', () => {
    const text = renderJailTable([jail({depend: ['db1']})], parseColumns('name,state,depend'))
    assert.equal(text, 'Name State   Depend\n---- ------- ------\nweb1 stopped db1\n')
    assert.throws(() => parseColumns('name,bogus'), /-o: unknown column "bogus"; choose from sta,jid,name,/)
  })

  it("marks a thick jail's release as its own, which update leaves alone", () => {
    const text = renderJailTable([jail({name: 'old', hostname: 'old', thick: true, release: '13.2-RELEASE'})])
    assert.match(text, /old +\/usr\/jails\/web1 +13\.2-RELEASE \(thick: not updated\)\n$/)
  })
})
