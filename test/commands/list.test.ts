import assert from 'node:assert/strict'
import {execFile} from 'node:child_process'
import {rm, writeFile} from 'node:fs/promises'
import path from 'node:path'
import {promisify} from 'node:util'

import type {ListResult} from '../../src/list/service.js'
import {tsez} from '../support/cli.js'
import {createInstalledHost, type InstalledHost} from '../support/installed-host.js'

const exec = promisify(execFile)
const isRoot = process.getuid?.() === 0

describe('tsez list', () => {
  let host: InstalledHost
  before(async function () {
    if (!isRoot) this.skip()
    host = await createInstalledHost()
    const run = async (...args: string[]) => {
      const result = await tsez(args, host.env)
      assert.equal(result.exitCode, 0, result.stderr)
    }
    await run('create', '-f', 'webserver', 'web1', 'em0|10.0.0.5/24,fd00::5')
    await run('create', 'db1', '10.0.0.6')
    await run('create', '--norun', 'www.example.com', '10.0.0.7')
    await run('create', 'gone', '10.0.0.8')
    await rm(path.join(host.dirs.jaildir, 'gone'), {recursive: true})
    // A conf written by tsez whose create never committed, and a user's own conf tsez must not claim.
    await writeFile(path.join(host.dirs.jailconf, 'half.conf'), '# Jail half, written by tsez: x\nhalf {\n}\n')
    await writeFile(path.join(host.dirs.jailconf, 'mine.conf'), 'mine {\n\tpath = "/x";\n}\n')
    await exec('jail', ['-f', path.join(host.dirs.jailconf, 'web1.conf'), '-c', 'web1'], {env: host.env})
  })
  after(async () => host?.cleanup())

  it('--json reports every state from one jls call', async () => {
    host.fake.unset('calls.log')
    const result = await tsez(['list', '--json'], host.env)
    assert.equal(result.exitCode, 0, result.stderr)
    assert.equal(host.fake.calls('jls').length, 1)
    assert.deepEqual(
      host.fake.calls().map(([program]) => program),
      ['jls'],
    )
    const listed = JSON.parse(result.stdout) as ListResult
    assert.equal(listed.version, 1)
    const byName = new Map(listed.jails.map((j) => [j.name, j]))
    assert.deepEqual([...byName.keys()], ['db1', 'gone', 'half', 'web1', 'www_example_com'])
    assert.deepEqual(byName.get('web1'), {
      name: 'web1',
      state: 'running',
      jid: host.fake.jails()[0]?.jid,
      addresses: ['em0|10.0.0.5/24', 'fd00::5'],
      hostname: 'web1',
      root: path.join(host.dirs.jaildir, 'web1'),
      release: '14.3-RELEASE',
      thick: false,
      dataset: null,
      flavours: ['webserver'],
      depend: [],
      run: true,
      params: {},
      created: byName.get('web1')?.created,
      createdRelease: '14.3-RELEASE',
    })
    assert.deepEqual([byName.get('db1')?.state, byName.get('db1')?.jid], ['stopped', null])
    assert.deepEqual(
      [byName.get('www_example_com')?.state, byName.get('www_example_com')?.hostname],
      ['norun', 'www.example.com'],
    )
    assert.equal(byName.get('gone')?.state, 'incomplete')
    assert.match(byName.get('gone')?.problem ?? '', /root .*gone is missing/)
    assert.equal(byName.get('half')?.state, 'incomplete')
    assert.match(byName.get('half')?.problem ?? '', /a jail\.conf without a record/)
  })

  it('prints the ezjail table with the release column', async () => {
    const result = await tsez(['list'], host.env)
    assert.equal(result.exitCode, 0, result.stderr)
    const lines = result.stdout.split('\n')
    assert.match(lines[0] ?? '', /^STA JID +IP +Hostname +Root +Release$/)
    assert.match(result.stdout, /^DR {2}\d+ +10\.0\.0\.5\/24,fd00::5 +web1 +\S+\/web1 +14\.3-RELEASE$/m)
    assert.match(result.stdout, /^DS {2}N\/A +10\.0\.0\.6 +db1 /m)
    assert.match(result.stdout, /^DSN N\/A +10\.0\.0\.7 +www\.example\.com /m)
    assert.match(result.stdout, /^ {4}incomplete: a jail\.conf without a record; tsez delete half removes it$/m)
    assert.doesNotMatch(result.stdout, /mine/)
  })

  it('follows the basejail after an update without touching a jail file', async () => {
    const version = path.join(host.dirs.basejail, 'bin/freebsd-version')
    const text = (await exec('cat', [version])).stdout
    await writeFile(version, text.replace(/USERLAND_VERSION="[^"]*"/, 'USERLAND_VERSION="14.3-RELEASE-p4"'))
    const listed = JSON.parse((await tsez(['list', '--json'], host.env)).stdout) as ListResult
    assert.equal(listed.jails.find((j) => j.name === 'db1')?.release, '14.3-RELEASE-p4')
    await writeFile(version, text)
  })
})
