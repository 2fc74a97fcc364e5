// A `tsez config` killed after its commit (record new, jail.conf old, journal left) is finished by archive, freeze,
// doctor --fix and import as by config or start: every command that reads or writes jails' configuration.
import assert from 'node:assert/strict'
import {mkdir, readFile, readdir, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {tsez, tsezOk} from '../support/cli.js'
import {createInstalledHost, type InstalledHost} from '../support/installed-host.js'

const isRoot = process.getuid?.() === 0

describe('an interrupted tsez config is finished by every command holding the lock', () => {
  let host: InstalledHost
  before(async function () {
    if (!isRoot) this.skip()
    this.timeout(120_000)
    host = await createInstalledHost()
    await ok(['create', 'web1', '10.0.6.1'])
  })
  after(async () => host?.cleanup())

  const ok = (args: string[]) => tsezOk(args, host.env)
  const conf = () => path.join(host.dirs.jailconf, 'web1.conf')
  const journals = async () => (await readdir(host.dirs.dbdir)).filter((file) => file.startsWith('config-'))

  /** What config leaves when killed between its commit (the record) and the jail.conf; returns the conf it owes. */
  const killedAfterCommit = async (hostname: string): Promise<string> => {
    const old = await readFile(conf(), 'utf8')
    await ok(['config', 'web1', '--hostname', hostname])
    const owed = await readFile(conf(), 'utf8')
    const record = JSON.parse(await readFile(path.join(host.dirs.confdir, 'web1.json'), 'utf8')) as unknown
    await writeFile(conf(), old)
    const journal = {version: 1, to: record, pid: 999_999, started: new Date().toISOString()}
    await writeFile(path.join(host.dirs.dbdir, 'config-web1.json'), JSON.stringify(journal) + '\n', {mode: 0o600})
    assert.notEqual(old, owed)
    return owed
  }

  const commands: Array<[string, () => Promise<string[]>]> = [
    ['archive', async () => ['archive', '-d', await scratch('archives'), 'web1']],
    ['freeze', () => Promise.resolve(['freeze', 'web1', 'frozen'])],
    ['doctor --fix', () => Promise.resolve(['doctor', '--fix'])],
    ['import jail-conf', async () => ['import', 'jail-conf', await emptyJailConf()]],
  ]
  const scratch = async (name: string) => {
    const dir = path.join(host.root, name)
    await mkdir(dir, {recursive: true})
    return dir
  }
  const emptyJailConf = async () => {
    const file = path.join(await scratch('import'), 'jail.conf')
    await writeFile(file, '# nothing to import\n')
    return file
  }

  for (const [name, argv] of commands) {
    it(`${name} finishes it first: jail.conf rendered from the committed record, the journal gone`, async function () {
      this.timeout(60_000)
      const owed = await killedAfterCommit(`${name.replaceAll(/[^a-z]/g, '')}.example.org`)
      const result = await tsez(await argv(), host.env)
      // doctor reports what --fix changed on stdout, the others on stderr.
      assert.match(result.stdout + result.stderr, /finished configuring jail web1: rewrote its jail\.conf/, name)
      assert.equal(await readFile(conf(), 'utf8'), owed, name)
      assert.deepEqual(await journals(), [], name)
    })
  }
})
