// The release bundle's direct start (src/cli/direct-run.ts): every run it takes prints and exits exactly as
// oclif's start of the same arguments, and it never loads oclif's plugins.
import assert from 'node:assert/strict'
import {cp, mkdir, mkdtemp, rm, symlink, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {buildRelease} from '../../bin/build.js'
import {createFakeHost, type FakeHost} from '../fixtures/fake-host.js'
import {packageRoot, spawnNode} from '../support/cli.js'
import {seedHost, seedJail, type SeededHost} from '../support/seed-jails.js'

describe('bin/run.js direct start', function () {
  this.timeout(120_000)
  let pkg: string
  let seeded: SeededHost
  let fake: FakeHost
  let env: NodeJS.ProcessEnv
  before(async () => {
    // A package as npm installs it, with oclif's own start beside it (bin/oclif.js) for the reference runs.
    pkg = await mkdtemp(path.join(tmpdir(), 'tsez-direct-'))
    await mkdir(path.join(pkg, 'bin'))
    for (const file of ['bin/run.js', 'package.json', 'oclif.manifest.json']) {
      await cp(path.join(packageRoot, file), path.join(pkg, file))
    }
    await writeFile(
      path.join(pkg, 'bin/oclif.js'),
      "import {executeWithOclif} from '../dist/src/cli/oclif.js'\nawait executeWithOclif({dir: import.meta.url})\n",
    )
    await symlink(path.join(packageRoot, 'node_modules'), path.join(pkg, 'node_modules'))
    await buildRelease(path.join(pkg, 'dist'))
    seeded = await seedHost()
    fake = await createFakeHost()
    await seedJail(seeded.config, {name: 'web1', addresses: ['10.0.0.5']})
    env = {...fake.env, TSEZ_CONFIG: seeded.configFile, NODE_ENV: 'production', NODE_DISABLE_COMPILE_CACHE: '1'}
  })
  after(async () => {
    await fake?.cleanup()
    await seeded?.cleanup()
    if (pkg) await rm(pkg, {recursive: true, force: true})
  })

  const run = (bin: string, args: string[], extra: NodeJS.ProcessEnv = {}) =>
    spawnNode([path.join(pkg, 'bin', bin), ...args], {...env, ...extra}).done

  const cases: [string[], NodeJS.ProcessEnv?][] = [
    [['list']],
    [['list', '--json']],
    [['list', 'web1', '--json']],
    [['list', '--bogus']],
    [['list', '--all=yes']],
    [['list', '--', '--help']],
    [['create']],
    [['create', '--json']],
    [['create', 'web 1', '10.0.0.9']],
    [['start', 'nosuchjail']],
    [['start', 'web1', '-p', 'x']],
    [['stop', '-n', 'web1']],
    [['delete', '-n', 'web1', '--json']],
    [['import', 'ezjail', '--bogus']],
    [['snapshots', 'web1']],
    [['config', 'web1', '--get', 'nosuchkey']],
    [['list'], {TSEZ_CONTENT_TYPE: 'json'}],
    [['list', '--config', '/nonexistent/tsez.conf']],
  ]
  for (const [args, extra] of cases) {
    it(`tsez ${args.join(' ')}${extra ? ` (${Object.keys(extra).join(', ')})` : ''}: as oclif starts it`, async () => {
      const [direct, oclif] = await Promise.all([run('run.js', args, extra), run('oclif.js', args, extra)])
      assert.deepEqual(direct, oclif)
    })
  }

  it('runs a command without loading oclif plugins: no node_modules needed, where oclif warns', async () => {
    // The bundle holds every module a command needs; oclif's start also loads @oclif/plugin-help from node_modules.
    await rm(path.join(pkg, 'node_modules'))
    try {
      const oclif = await run('oclif.js', ['create'])
      assert.match(oclif.stderr, /@oclif\/plugin-help/)
      const direct = await run('run.js', ['create'])
      assert.deepEqual(direct, {
        stdout: '',
        stderr: 'tsez: missing arguments NAME, IPLIST (usage: tsez create [FLAGS] NAME IPLIST)\n',
        exitCode: 2,
      })
    } finally {
      await symlink(path.join(packageRoot, 'node_modules'), path.join(pkg, 'node_modules'))
    }
  })

  it('leaves --help to oclif, which needs the help plugin', async () => {
    const help = await run('run.js', ['start', '--help'])
    assert.equal(help.exitCode, 0, help.stderr)
    assert.match(help.stdout, /^Start jails/)
    assert.deepEqual(help, await run('oclif.js', ['start', '--help']))
  })
})
