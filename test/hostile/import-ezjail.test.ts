// Hostile and broken ezjail hosts: nothing in ezjail's files is ever run, a bad jail stays ezjail's, the rest come over.
import assert from 'node:assert/strict'
import {execFile} from 'node:child_process'
import {lstat, mkdir, readFile, writeFile} from 'node:fs/promises'
import path from 'node:path'
import {promisify} from 'node:util'

import {ezjailJailFile, type EzjailJailSpec, type EzjailLayout} from '../fixtures/ezjail-host.js'
import {createEzjailHost} from '../support/ezjail-host.js'
import type {InstalledHost} from '../support/installed-host.js'
import {diffHost, isRoot, runTsez, snapshotHost} from './support.js'

const exec = promisify(execFile)
const exists = async (p: string) => (await lstat(p).catch(() => undefined)) !== undefined

describe('hostile: tsez import ezjail', () => {
  let host: InstalledHost
  let layout: EzjailLayout
  let planted: string
  let cases = 0
  before(async function () {
    if (!isRoot) this.skip()
    this.timeout(60_000)
    ;({host, layout} = await createEzjailHost([]))
    planted = path.join(host.root, 'PLANTED')
    for (const name of ['good', 'other', 'outer', 'outer/inner']) {
      await exec('cp', ['-a', layout.newjail, path.join(layout.jaildir, name)])
    }
  })
  after(async () => host?.cleanup())

  /** A fresh ezjail directory holding the good jail and FILES (name → text); returns the import's argv. */
  async function ezjailDir(files: Record<string, string>): Promise<string[]> {
    const dir = path.join(host.root, `ezjail-${++cases}`)
    await mkdir(dir)
    await writeFile(path.join(dir, 'good'), ezjailJailFile({name: 'good', ip: '10.0.1.1'}, layout))
    for (const [name, text] of Object.entries(files)) await writeFile(path.join(dir, name), text)
    return ['import', 'ezjail', '--ezjail-conf', layout.conf, '--ezjail-dir', dir, '--fstab-dir', layout.fstabDir]
  }
  const jailFile = (spec: EzjailJailSpec) => ezjailJailFile({root: false, ...spec}, layout)
  const line = (name: string, variable: string, value: string) => `export jail_${name}_${variable}=${value}\n`

  const refusedJails: Array<[string, () => Record<string, string>, RegExp]> = [
    [
      'command substitution in a value',
      () => ({evil: jailFile({name: 'evil', ip: '10.0.1.2', set: {hostname: '$(touch PLANTED)'}})}),
      /evil not imported: .*evil:\d+: a command substitution \(\$\(…\)\) would run a program/,
    ],
    [
      'backquotes',
      () => ({evil: jailFile({name: 'evil', ip: '10.0.1.2`touch PLANTED`'})}),
      /evil:\d+: a command substitution \(`…`\) would run a program/,
    ],
    [
      'a command after the assignment',
      () => ({evil: line('evil', 'hostname', '"evil"; touch PLANTED')}),
      /evil:1: ";" outside quotes makes this a command/,
    ],
    [
      'a command on a line of its own',
      () => ({evil: jailFile({name: 'evil', ip: '10.0.1.2'}) + 'touch PLANTED\n'}),
      /evil:\d+: cannot read "touch PLANTED" without running it/,
    ],
    [
      'a sourced file',
      () => ({evil: '. /etc/PLANTED\n'}),
      /evil:1: cannot read "\. \/etc\/PLANTED" without running it/,
    ],
    [
      'an unterminated quote',
      () => ({evil: line('evil', 'hostname', '"evil')}),
      /evil:1: a double quote is not closed on its line/,
    ],
    [
      'an expansion operator',
      () => ({evil: line('evil', 'hostname', '"${HOME:-x}"')}),
      /only \$NAME and \$\{NAME\} are read/,
    ],
    ['an unset variable', () => ({evil: line('evil', 'hostname', '"$NOPE"')}), /\$NOPE is not set earlier in the file/],
    [
      'a rootdir outside the jail directory',
      () => ({evil: jailFile({name: 'evil', ip: '10.0.1.2', set: {rootdir: '/tmp/evil'}})}),
      /rootdir \/tmp\/evil lies outside ezjail_jaildir/,
    ],
    [
      'the host root as rootdir',
      () => ({evil: jailFile({name: 'evil', ip: '10.0.1.2', set: {rootdir: '/'}})}),
      /rootdir \/ lies outside ezjail_jaildir/,
    ],
    [
      'a rootdir climbing out with ..',
      () => ({evil: jailFile({name: 'evil', ip: '10.0.1.2', set: {rootdir: '/JAILDIR/../../etc'}})}),
      /rootdir .* is not an absolute path/,
    ],
    [
      'the basejail as rootdir',
      () => ({evil: jailFile({name: 'evil', ip: '10.0.1.2', set: {rootdir: 'BASEJAIL'}})}),
      /overlaps tsez's own .*basejail/,
    ],
    [
      'a rootdir inside another jail',
      () => ({
        outer: jailFile({name: 'outer', ip: '10.0.1.3'}),
        inner: jailFile({name: 'inner', ip: '10.0.1.4', set: {rootdir: '/JAILDIR/outer/inner'}}),
      }),
      /inner not imported: .*is inside jail outer's root/,
    ],
    [
      'two jails on one root',
      () => ({
        other: jailFile({name: 'other', ip: '10.0.1.5'}),
        evil: jailFile({name: 'evil', ip: '10.0.1.2', set: {rootdir: '/JAILDIR/other'}}),
      }),
      /evil not imported: .*jail other has the same rootdir[^]*other not imported: .*jail evil has the same rootdir/,
    ],
    ['a missing root', () => ({evil: jailFile({name: 'evil', ip: '10.0.1.2'})}), /rootdir .*\/evil does not exist/],
    [
      'both NAME and NAME.norun',
      () => ({
        other: jailFile({name: 'other', ip: '10.0.1.5'}),
        'other.norun': jailFile({name: 'other', ip: '10.0.1.5'}),
      }),
      /other not imported: both .*other and .*other\.norun exist/,
    ],
    [
      'a variable of another jail',
      () => ({evil: jailFile({name: 'evil', ip: '10.0.1.2'}) + line('good', 'hostname', '"hijack"')}),
      /jail_good_hostname is not one of ezjail's variables for evil/,
    ],
    [
      'a variable rc.d/ezjail does not know',
      () => ({evil: jailFile({name: 'evil', ip: '10.0.1.2'}) + line('evil', 'flags', '"-l"')}),
      /jail_evil_flags is not one of ezjail's variables/,
    ],
    [
      'a parameter tsez sets itself',
      () => ({evil: jailFile({name: 'evil', ip: '10.0.1.2', set: {parameters: 'path=/'}})}),
      /parameters: jail parameter "path" cannot be changed here/,
    ],
    ['a bad address', () => ({evil: jailFile({name: 'evil', ip: '10.0.1.300'})}), /ip: .*10\.0\.1\.300/],
    [
      'an image jail',
      () => ({evil: jailFile({name: 'evil', ip: '10.0.1.2', set: {image: '/JAILDIR/evil.img', imagetype: 'eli'}})}),
      /it is an image jail \(eli\)/,
    ],
    [
      'a devfs ruleset by an unknown name',
      () => ({evil: jailFile({name: 'evil', ip: '10.0.1.2', set: {devfs_ruleset: 'myrules'}})}),
      /devfs_ruleset "myrules" is neither a number nor devfsrules_jail/,
    ],
    [
      'a post_start_script that is not a path',
      () => ({evil: jailFile({name: 'evil', ip: '10.0.1.2', set: {post_start_script: 'x; touch PLANTED'}})}),
      /post_start_script .* is not an absolute path/,
    ],
    [
      'a cpuset that is not a list',
      () => ({evil: jailFile({name: 'evil', ip: '10.0.1.2', set: {cpuset: '0;touch PLANTED'}})}),
      /cpuset .* is not a CPU list/,
    ],
    [
      'a reserved name',
      () => ({flavours: jailFile({name: 'flavours', ip: '10.0.1.2'})}),
      /flavours not imported: .*reserved/,
    ],
    [
      'a name tsez already uses',
      () => ({taken: jailFile({name: 'taken', ip: '10.0.1.2'})}),
      /taken not imported: .*tsez already has a jail named taken/,
    ],
  ]
  for (const [what, filesOf, message] of refusedJails) {
    it(`refuses ${what}; the good jail comes over, nothing runs`, async () => {
      if (what === 'a name tsez already uses') {
        const created = await runTsez(['create', 'taken', '10.0.2.1'], host.env)
        assert.equal(created.exitCode, 0, created.stderr)
      }
      const fill = (text: string) => text.replaceAll('/JAILDIR', layout.jaildir).replaceAll('BASEJAIL', layout.basejail)
      const args = await ezjailDir(Object.fromEntries(Object.entries(filesOf()).map(([n, t]) => [n, fill(t)])))
      const result = await runTsez(args, {...host.env, PWD: host.root})
      try {
        assert.equal(result.exitCode, 1, result.stderr)
        assert.match(result.stderr, message)
        assert.match(result.stdout, /^imported good /m)
        // eslint-disable-next-line no-control-regex -- nothing raw reaches the terminal
        assert.doesNotMatch(result.stderr, /[\x00-\x08\x0b-\x1f\x7f]/)
        assert.equal(await exists(planted), false, 'nothing of the file was run')
        assert.equal(await exists(path.join(host.dirs.confdir, 'evil.json')), false)
      } finally {
        const undone = await runTsez(['import', 'ezjail', '--undo'], host.env)
        assert.equal(undone.exitCode, 0, undone.stderr)
      }
    })
  }

  const wholeRefusals: Array<[string, () => Promise<string[]>, RegExp]> = [
    [
      'ezjail.conf with a command substitution',
      async () => {
        const conf = path.join(host.root, 'evil-ezjail.conf')
        await writeFile(conf, `ezjail_jaildir=${layout.jaildir}\nezjail_jailbase="$(touch ${planted})"\n`)
        return ['import', 'ezjail', '--ezjail-conf', conf, '--ezjail-dir', layout.dir, '--fstab-dir', layout.fstabDir]
      },
      /evil-ezjail\.conf:2: a command substitution .* tsez reads ezjail\.conf without running it/,
    ],
    [
      'ezjail.conf setting the jail directory to /',
      async () => {
        const conf = path.join(host.root, 'root-ezjail.conf')
        await writeFile(conf, 'ezjail_jaildir=/\n')
        return ['import', 'ezjail', '--ezjail-conf', conf, '--ezjail-dir', layout.dir, '--fstab-dir', layout.fstabDir]
      },
      /ezjail_jaildir is the host's \//,
    ],
    [
      'a FIFO for a jail file',
      async () => {
        const args = await ezjailDir({})
        await exec('mkfifo', [path.join(args[5] ?? '', 'fifo')])
        return args
      },
      /fifo is not a regular file/,
    ],
    [
      'a basejail tsez does not share',
      async () => {
        const conf = path.join(host.root, 'other-base.conf')
        await writeFile(conf, `ezjail_jaildir=${layout.jaildir}\nezjail_jailbase=${layout.jaildir}/otherbase\n`)
        return ['import', 'ezjail', '--ezjail-conf', conf, '--ezjail-dir', layout.dir, '--fstab-dir', layout.fstabDir]
      },
      /ezjail's jails use .*otherbase, but tsez_basejail is .*: set tsez_basejail=/,
    ],
    [
      'tsez_fstab_dir where ezjail keeps its fstabs',
      async () => {
        const args = await ezjailDir({})
        return [...args.slice(0, -1), path.join(host.root, 'host/usr/local/etc/tsez/fstab')]
      },
      /tsez_fstab_dir .* is where ezjail keeps its fstab\.NAME files/,
    ],
    ['an unknown name', async () => [...(await ezjailDir({})), 'ghost'], /no ezjail jail named "ghost"/],
    [
      'no ezjail directory',
      () =>
        Promise.resolve([
          'import',
          'ezjail',
          '--ezjail-conf',
          layout.conf,
          '--ezjail-dir',
          '/nonexistent/ezjail',
          '--fstab-dir',
          layout.fstabDir,
        ]),
      /\/nonexistent\/ezjail does not exist: no ezjail jails to import/,
    ],
  ]
  for (const [what, argsOf, message] of wholeRefusals) {
    it(`exit 2, one line, nothing changed: ${what}`, async () => {
      const args = await argsOf()
      const before = await snapshotHost(host)
      const result = await runTsez(args, host.env)
      assert.equal(result.exitCode, 2, result.stderr)
      assert.match(result.stderr, /^tsez: [^\n]*\n$/)
      assert.match(result.stderr, message)
      assert.deepEqual(diffHost(host, before, await snapshotHost(host)), [])
      assert.equal(await exists(planted), false)
    })
  }

  it('a jail file tsez reads is never executed: the text written by ezjail is taken, not evaluated', async () => {
    const args = await ezjailDir({})
    const text = await readFile(path.join(args[5] ?? '', 'good'), 'utf8')
    assert.match(text, /^export jail_good_exec_start="\/bin\/sh \/etc\/rc"$/m)
  })
})
