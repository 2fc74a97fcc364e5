import assert from 'node:assert/strict'
import {lstat, readdir} from 'node:fs/promises'
import path from 'node:path'

import type {ListResult} from '../../src/list/service.js'
import {spawnTsez, tsez} from '../support/cli.js'
import {createInstalledHost, type InstalledHost} from '../support/installed-host.js'

const isRoot = process.getuid?.() === 0
const exists = async (p: string) => (await lstat(p).catch(() => undefined)) !== undefined

describe('tsez create killed with SIGKILL', () => {
  let host: InstalledHost
  before(async function () {
    if (!isRoot) this.skip()
    host = await createInstalledHost()
  })
  after(async () => host?.cleanup())

  it('leaves a complete jail or a trace that list reports and the next create removes', async () => {
    // bin/dev.js needs about 1-2 s to load; the kills fall before, during and after the work itself.
    const delays = [400, 1200, 1700, 2100, 2500, 2900, 3400, 4200].map((ms) => ms + Math.floor(Math.random() * 300))
    const names = delays.map((_, i) => `k${i}`)
    for (const [i, delay] of delays.entries()) {
      const {child, done} = spawnTsez(['create', '-f', 'webserver', names[i] ?? '', `10.0.1.${i + 1}`], host.env)
      const timer = setTimeout(() => child.kill('SIGKILL'), delay)
      await done
      clearTimeout(timer)
    }

    const listed = await tsez(['list', '--json'], host.env)
    assert.equal(listed.exitCode, 0, listed.stderr)
    const before = JSON.parse(listed.stdout) as ListResult
    for (const jail of before.jails.filter((j) => j.state === 'incomplete')) {
      assert.ok(names.includes(jail.name), `unexpected incomplete jail ${jail.name}`)
      assert.match(jail.problem ?? '', /tsez delete/)
    }

    // The next create sweeps what the killed ones left.
    const next = await tsez(['create', 'after', '10.0.2.1'], host.env)
    assert.equal(next.exitCode, 0, next.stderr)
    let complete = 0
    for (const name of names) {
      const parts = [
        path.join(host.dirs.jaildir, name),
        path.join(host.dirs.jailconf, `${name}.conf`),
        path.join(host.dirs.fstab, `fstab.${name}`),
        path.join(host.dirs.confdir, `${name}.json`),
      ]
      const present = await Promise.all(parts.map(exists))
      if (present.every(Boolean)) complete++
      else assert.deepEqual(present, [false, false, false, false], `${name} is half there after the sweep`)
    }
    const hidden = (await readdir(host.dirs.jaildir)).filter((entry) => entry.startsWith('.'))
    assert.deepEqual(hidden, [], 'no staging directory survives the sweep')
    const journals = (await readdir(host.dirs.dbdir)).filter((entry) => entry.startsWith('create-'))
    assert.deepEqual(journals, [])
    const after = JSON.parse((await tsez(['list', '--json'], host.env)).stdout) as ListResult
    assert.deepEqual(
      after.jails.filter((j) => j.state === 'incomplete'),
      [],
    )
    assert.equal(after.jails.length, complete + 1)
  })
})
