import assert from 'node:assert/strict'

import {renderJailTable} from '../../src/list/render.js'
import type {ListedJail} from '../../src/list/service.js'

const jail = (extra: Partial<ListedJail>): ListedJail => ({
  name: 'web1',
  state: 'stopped',
  jid: null,
  addresses: ['10.0.0.5'],
  hostname: 'web1',
  root: '/usr/jails/web1',
  thick: false,
  release: '14.3-RELEASE-p2',
  flavours: [],
  depend: [],
  ...extra,
})

describe('list/render', () => {
  it("prints ezjail's columns plus the release, extra addresses and incomplete jails on their own lines", () => {
    const text = renderJailTable([
      jail({state: 'running', jid: 7, addresses: ['em0|10.0.0.5/24', 'fd00::5']}),
      jail({name: 'db', hostname: 'db.example.com', state: 'norun', root: '/usr/jails/db'}),
      jail({name: 'half', hostname: '', state: 'incomplete', addresses: [], root: null, release: null, problem: 'p'}),
    ])
    assert.equal(
      text,
      [
        'STA JID  IP              Hostname                       Root                           Release',
        '--- ---- --------------- ------------------------------ ------------------------------ ------------',
        'DR  7    10.0.0.5/24     web1                           /usr/jails/web1                14.3-RELEASE-p2',
        '    7    fd00::5',
        'DSN N/A  10.0.0.5        db.example.com                 /usr/jails/db                  14.3-RELEASE-p2',
        '--  N/A  -               half                           -                              -',
        '    incomplete: p',
        '',
      ].join('\n'),
    )
  })

  it("marks a thick jail's release as its own, which update leaves alone", () => {
    const text = renderJailTable([jail({name: 'old', hostname: 'old', thick: true, release: '13.2-RELEASE'})])
    assert.match(text, /old +\/usr\/jails\/web1 +13\.2-RELEASE \(thick: not updated\)\n$/)
  })
})
