// Hostile or broken jail.conf files for `tsez import jail-conf`: one line, exit 2 and nothing changed, or the bad jail left.
import assert from 'node:assert/strict'
import {execFile} from 'node:child_process'
import {mkdir, symlink, writeFile} from 'node:fs/promises'
import path from 'node:path'
import {promisify} from 'node:util'

import {createInstalledHost, type InstalledHost} from '../support/installed-host.js'
import {diffHost, isRoot, runTsez, snapshotHost} from './support.js'

const exec = promisify(execFile)

describe('hostile: tsez import jail-conf', () => {
  let host: InstalledHost
  let dir: string
  let jails: string
  let n = 0
  before(async function () {
    if (!isRoot) this.skip()
    host = await createInstalledHost()
    dir = path.join(host.root, 'confs')
    jails = path.join(host.dirs.jaildir, 'classic')
    for (const name of ['ok', 'outer', 'outer/inner']) await mkdir(path.join(jails, name, 'etc'), {recursive: true})
    await mkdir(dir)
  })
  after(async () => host?.cleanup())

  const confFile = async (text: string) => {
    const file = path.join(dir, `c${++n}.conf`)
    await writeFile(file, text.replaceAll('JAILS', jails).replaceAll('DIR', dir))
    return file
  }

  const whole: Array<[string, () => Promise<string>, RegExp]> = [
    ['a missing file', () => Promise.resolve(path.join(dir, 'nope.conf')), /nope\.conf does not exist/],
    ['a FIFO', async () => {
      const fifo = path.join(dir, 'fifo.conf')
      await exec('mkfifo', [fifo])
      return fifo
    }, /fifo\.conf is not a regular file/],
    ['a directory', () => Promise.resolve(dir), /confs is not a regular file/],
    ['an unterminated block', () => confFile('x { path = "/x";\n'), /line \d+: .*nothing was imported/],
    ['an unterminated string', () => confFile('x { path = "/x;\n}\n'), /nothing was imported/],
    ['an include of itself', async () => {
      const file = path.join(dir, 'loop.conf')
      await writeFile(file, `.include "${file}";\n`)
      return file
    }, /maximum include depth exceeded/],
    ['an include of a device', () => confFile('.include "/dev/zero";\n'), /\/dev\/zero" is not a small regular file/],
    ['a wildcard directory in an include', () => confFile('.include "/etc/*/jail.conf";\n'), /wildcards in the file name only/],
    ['a variable in an include', () => confFile('$d = "/etc";\n.include "$d/x.conf";\n'), /variables not permitted/],
    ['a name that is not there', async () => `${await confFile(`ok { path = "JAILS/ok"; }\n`)}\u0000ghost`, /defines no jail named "ghost"/],
    ['only jails tsez cannot manage', () => confFile('"a b" { path = "JAILS/ok"; }\n"x;y" { path = "JAILS/ok"; }\n'), /not imported/],
  ] // prettier-ignore
  for (const [what, fileOf, message] of whole) {
    it(`exit 2, one line, nothing changed: ${what}`, async () => {
      const [file = '', name] = (await fileOf()).split('\u0000')
      const before = await snapshotHost(host)
      const result = await runTsez(['import', 'jail-conf', file, ...(name ? [name] : [])], host.env)
      assert.equal(result.exitCode, 2, result.stderr)
      assert.match(result.stderr, message)
      if (what !== 'only jails tsez cannot manage') assert.match(result.stderr, /^tsez: [^\n]*\n$/)
      assert.deepEqual(diffHost(host, before, await snapshotHost(host)), [])
    })
  }

  const refused: Array<[string, string, RegExp]> = [
    ['an unknown parameter', 'bad { path = "JAILS/ok2"; frobnicate = 1; }', /unknown jail parameter "frobnicate"/],
    ['a command parameter', 'bad { path = "JAILS/ok2"; command = "/bin/sh"; }', /"command" cannot be changed here/],
    ['the host root', 'bad { path = "/"; }', /path "\/" is not an absolute jail root/],
    ['a relative root', 'bad { path = "jails/bad"; }', /path "jails\/bad" is not an absolute jail root/],
    ['a root climbing out', 'bad { path = "JAILS/../../../etc"; }', /is not an absolute jail root/],
    ['a root inside another jail', 'outer { path = "JAILS/outer"; }\nbad { path = "JAILS/outer/inner"; }', /bad not imported: .*is inside jail outer's root/],
    ['the basejail as root', `bad { path = "BASEJAIL"; }`, /overlaps tsez's own/],
    ['a missing root', 'bad { path = "JAILS/missing"; }', /is not a directory/],
    ['a newline in a value', 'bad { path = "JAILS/ok2"; exec.start = "a\nb"; }', /control character/],
    ['an unreadable mount.fstab', 'bad { path = "JAILS/ok2"; mount.fstab = "/nonexistent/fstab"; }', /mount\.fstab "\/nonexistent\/fstab" cannot be read/],
    ['a bad address', 'bad { path = "JAILS/ok2"; ip4.addr = 10.0.0.300; }', /ip4\.addr: .*10\.0\.0\.300/],
    ['a name with an escape sequence', '"e\u001b[2Jvil" { path = "JAILS/ok2"; }', /^tsez: "e\\u001b\[2Jvil" not imported: /m],
    ['a name tsez uses already', 'taken { path = "JAILS/ok2"; }', /tsez already has a jail named taken/],
  ] // prettier-ignore
  for (const [what, text, message] of refused) {
    it(`leaves ${what} in the file and adopts the rest (exit 1)`, async () => {
      if (what === 'a name tsez uses already') {
        const created = await runTsez(['create', 'taken', '10.0.9.1'], host.env)
        assert.equal(created.exitCode, 0, created.stderr)
      }
      await mkdir(path.join(jails, 'ok2'), {recursive: true})
      const file = await confFile(
        `ok { path = "JAILS/ok"; ip4.addr = 10.0.8.1; }\n${text.replace('BASEJAIL', host.dirs.basejail)}\n`,
      )
      const result = await runTsez(['import', 'jail-conf', file], host.env)
      try {
        assert.equal(result.exitCode, 1, result.stderr)
        assert.match(result.stderr, message)
        assert.match(result.stdout, /^imported ok /m)
        // eslint-disable-next-line no-control-regex -- nothing raw reaches the terminal
        assert.doesNotMatch(result.stderr, /[\x00-\x08\x0b-\x1f\x7f]/)
      } finally {
        for (const name of ['ok', 'outer', 'bad']) await runTsez(['delete', name], host.env)
      }
    })
  }

  it('a symlinked root into another jail is inside it', async () => {
    await symlink(path.join(jails, 'outer', 'inner'), path.join(jails, 'sneaky'))
    const file = await confFile('outer { path = "JAILS/outer"; }\nbad { path = "JAILS/sneaky"; }\n')
    const result = await runTsez(['import', 'jail-conf', file], host.env)
    await runTsez(['delete', 'outer'], host.env)
    assert.equal(result.exitCode, 1, result.stderr)
    assert.match(result.stderr, /bad not imported: .*resolves to .*is inside jail outer's root/)
  })
})
