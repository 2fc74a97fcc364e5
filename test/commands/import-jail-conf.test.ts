import assert from 'node:assert/strict'
import {mkdir, readFile, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {parseJailConf} from '../../src/jail/conf-parse.js'
import type {JailRecord} from '../../src/jail/store.js'
import {tsez} from '../support/cli.js'
import {createInstalledHost, type InstalledHost} from '../support/installed-host.js'
import {diffTrees, snapshotTree} from '../support/tree.js'

const isRoot = process.getuid?.() === 0

/** A Handbook-style classic jail.conf: globals, $name paths, += exec lines, an include, two thick jails. */
function classicJailConf(jails: string, etc: string): string {
  return `# /etc/jail.conf
exec.start = "/bin/sh /etc/rc";
exec.stop = "/bin/sh /etc/rc.shutdown jail";
exec.clean;
mount.devfs;
$domain = "example.org";
path = "${jails}/$name";
host.hostname = "$name.$domain";
.include "${etc}/jail.conf.d.classic/*.conf";

www {
  ip4.addr = 192.168.1.10;
  exec.prestart += "logger starting www";
  exec.prestart += "logger really";
  allow.raw_sockets;
  allow.nosysvipc;
}
`
}
const DB = (etc: string) => `db {
  ip4.addr = "em0|192.168.1.11/24";
  ip6.addr = "fd00::11";
  devfs_ruleset = 5;
  mount.fstab = "${etc}/fstab.db";
  depend = www;
  persist;
}
`

describe('tsez import jail-conf', () => {
  let host: InstalledHost
  let file: string
  let etc: string
  beforeEach(async function () {
    if (!isRoot) this.skip()
    host = await createInstalledHost()
    etc = path.join(host.root, 'classic-etc')
    const jails = path.join(host.dirs.jaildir, 'classic')
    await mkdir(path.join(etc, 'jail.conf.d.classic'), {recursive: true})
    for (const name of ['www', 'db']) await mkdir(path.join(jails, name, 'etc'), {recursive: true})
    file = path.join(etc, 'jail.conf')
    await writeFile(file, classicJailConf(jails, etc))
    await writeFile(path.join(etc, 'jail.conf.d.classic', 'db.conf'), DB(etc))
    await writeFile(path.join(etc, 'fstab.db'), `/data ${jails}/db/data nullfs rw 0 0\n`)
  })
  afterEach(async () => host?.cleanup())

  const parsedOf = async (conf: string) => {
    const text = await readFile(conf, 'utf8')
    const dir = path.dirname(conf)
    const include = (pattern: string) => {
      const name = path.join(dir, 'jail.conf.d.classic', 'db.conf')
      return pattern.endsWith('*.conf') ? [{name, text: DB(etc)}] : []
    }
    return new Map(parseJailConf(text, {fileName: conf, include}).map((j) => [j.name, j.params]))
  }

  it('round-trips: the conf tsez writes parses to the same parameters as the original; FILE is untouched', async () => {
    const before = await snapshotTree(etc)
    const result = await tsez(['import', 'jail-conf', file], host.env)
    assert.equal(result.exitCode, 0, result.stderr)
    assert.match(result.stdout, /^imported www \(thick, www\.example\.org, .*\/classic\/www\)$/m)
    assert.match(result.stderr, /remove the jails (www db|db www) from .*jail\.conf/)
    assert.deepEqual(await snapshotTree(etc), before)

    const original = await parsedOf(file)
    for (const name of ['www', 'db']) {
      const ours = parseJailConf(await readFile(path.join(host.dirs.jailconf, `${name}.conf`), 'utf8'))[0]?.params
      const theirs = new Map(original.get(name))
      const fstab = theirs.get('mount.fstab')
      theirs.delete('depend')
      const mine = new Map(ours)
      if (fstab !== undefined) {
        // The same mounts, from tsez's own fstab file.
        const tsezFstab = mine.get('mount.fstab')
        assert.ok(Array.isArray(tsezFstab))
        const lines = (await readFile(tsezFstab[0] ?? '', 'utf8')).split('\n').filter((l) => l && !l.startsWith('#'))
        assert.deepEqual(
          lines.map((l) => l.split('\t').slice(0, 4).join(' ')),
          [`/data ${host.dirs.jaildir}/classic/db/data nullfs rw`],
        )
        theirs.delete('mount.fstab')
        mine.delete('mount.fstab')
      }
      // jail(8) reads `allow.nosysvipc` as allow.sysvipc = false: tsez writes the plain name.
      if (theirs.has('allow.nosysvipc')) {
        assert.deepEqual(mine.get('allow.sysvipc'), ['false'])
        theirs.delete('allow.nosysvipc')
        mine.delete('allow.sysvipc')
      }
      assert.deepEqual(Object.fromEntries(mine), Object.fromEntries(theirs), name)
    }
    const db = JSON.parse(await readFile(path.join(host.dirs.confdir, 'db.json'), 'utf8')) as JailRecord
    assert.deepEqual([db.thick, db.depend, db.origin?.from], [true, ['www'], 'jail-conf'])

    const started = await tsez(['start', 'db'], host.env)
    assert.equal(started.exitCode, 0, started.stderr)
    const creates = host.fake
      .calls('jail')
      .filter((argv) => argv.includes('-c'))
      .map((argv) => argv.at(-1))
    assert.deepEqual(creates, ['www', 'db'])
    assert.equal(host.fake.jails().find((j) => j.name === 'db')?.hostname, 'db.example.org')

    const listed = JSON.parse((await tsez(['list', '--json'], host.env)).stdout) as {jails: Array<{name: string; thick: boolean}>} // prettier-ignore
    assert.deepEqual(listed.jails.map((j) => [j.name, j.thick]), [['db', true], ['www', true]]) // prettier-ignore
    const planned = await tsez(['update', '-u', '-n'], host.env)
    assert.equal(planned.exitCode, 0, planned.stderr)
    assert.doesNotMatch(planned.stdout, /\b(www|db) is running/, `update leaves thick jails alone: ${planned.stdout}`)

    const again = await tsez(['import', 'jail-conf', file], host.env)
    assert.equal(again.exitCode, 0, again.stderr)
    assert.match(again.stdout, /^www: already managed by tsez$/m)
  })

  it('refuses a jail tsez cannot manage and adopts the rest (exit 1); nothing at all is exit 2', async () => {
    const bad = path.join(etc, 'bad.conf')
    const jails = path.join(host.dirs.jaildir, 'classic')
    await writeFile(
      bad,
      `path = "${jails}/$name";\nwww { ip4.addr = 10.0.0.1; }\nodd.name { ip4.addr = 10.0.0.2; }\nroot { path = "/"; }\n`,
    )
    const result = await tsez(['import', 'jail-conf', bad], host.env)
    assert.equal(result.exitCode, 1, result.stderr)
    assert.match(
      result.stderr,
      /^tsez: odd\.name not imported: .*bad\.conf:3: jail name "odd\.name" is not one tsez can manage/m,
    )
    assert.match(result.stderr, /^tsez: root not imported: .*path "\/" is not an absolute jail root/m)
    assert.match(result.stdout, /^imported www /m)

    const broken = path.join(etc, 'broken.conf')
    await writeFile(broken, 'www { path = "/x" \n')
    const before = await snapshotTree(host.root)
    const none = await tsez(['import', 'jail-conf', bad, 'root'], host.env)
    assert.equal(none.exitCode, 2, none.stderr)
    const syntax = await tsez(['import', 'jail-conf', broken], host.env)
    assert.equal(syntax.exitCode, 2)
    assert.match(syntax.stderr, /^tsez: .*broken\.conf line 1: .*nothing was imported\n$/)
    const lockDir = path.relative(host.root, host.dirs.dbdir)
    assert.deepEqual(diffTrees(before, await snapshotTree(host.root), {ignoreMtimeOf: [lockDir]}), [])
  })
})
