// The release bundle (bin/build.js; what bin/run.js runs once installed) does the main job as the sources do.
import assert from 'node:assert/strict'
import {cp, mkdir, mkdtemp, readdir, rm, symlink} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {buildRelease} from '../../bin/build.js'
import {packageRoot, spawnNode} from '../support/cli.js'
import {createTestHost, installArgs, type TestHost} from '../support/test-host.js'

const isRoot = process.getuid?.() === 0

describe('the release build', () => {
  let pkg: string
  let host: TestHost
  before(async function () {
    if (!isRoot) this.skip() // install keeps owners: root only
    // A package as npm installs it: package.json, bin/run.js, the bundle, flavours; no sources, no tsconfig.
    pkg = await mkdtemp(path.join(tmpdir(), 'tsez-release-'))
    await mkdir(path.join(pkg, 'bin'))
    await cp(path.join(packageRoot, 'bin/run.js'), path.join(pkg, 'bin/run.js'))
    await cp(path.join(packageRoot, 'package.json'), path.join(pkg, 'package.json'))
    await cp(path.join(packageRoot, 'flavours'), path.join(pkg, 'flavours'), {recursive: true})
    await symlink(path.join(packageRoot, 'node_modules'), path.join(pkg, 'node_modules'))
    await buildRelease(path.join(pkg, 'dist'))
    host = await createTestHost()
  })
  after(async () => {
    await host?.cleanup()
    if (pkg) await rm(pkg, {recursive: true, force: true})
  })

  const run = (...args: string[]) =>
    spawnNode([path.join(pkg, 'bin/run.js'), ...args], {...host.env, NODE_ENV: 'production'}).done

  it('bundles one file per command plus shared chunks', async () => {
    // Topics are subdirectories: commands/import/ezjail.ts is `tsez import ezjail`.
    const files = async (dir: string, ext: string) =>
      (await readdir(dir, {recursive: true})).filter((f) => f.endsWith(ext)).map((f) => f.slice(0, -ext.length))
    const commands = await files(path.join(packageRoot, 'commands'), '.ts')
    assert.ok(commands.includes('import/ezjail'))
    assert.deepEqual((await files(path.join(pkg, 'dist/commands'), '.js')).sort(), commands.sort())
  })

  it('installs, creates with a flavour, starts, lists and patches from the bundle', async () => {
    const install = await run(...installArgs(host, '--no-patch'))
    assert.equal(install.exitCode, 0, install.stderr)
    const create = await run('create', '-f', 'webserver', 'web1', '10.0.0.5')
    assert.equal(create.exitCode, 0, create.stderr)
    assert.match(create.stdout, /created jail web1/)
    const start = await run('start', 'web1')
    assert.equal(start.exitCode, 0, start.stderr)
    const undo = await run('import', 'ezjail', '--undo', '-n')
    assert.equal(undo.exitCode, 0, `a command in a topic runs from the bundle: ${undo.stderr}`)
    const list = await run('list', '--json')
    assert.equal(list.exitCode, 0, list.stderr)
    const {jails} = JSON.parse(list.stdout) as {jails: Array<{name: string; state: string; jid: number}>}
    assert.deepEqual(
      jails.map((j) => [j.name, j.state]),
      [['web1', 'running']],
    )
    const update = await run('update', '-u', '--json')
    assert.equal(update.exitCode, 0, update.stderr)
    assert.equal((await run('create', 'bad name', '10.0.0.6')).exitCode, 2)
    // package.json's command_not_found hook, bundled: an extra word after a command that takes none.
    assert.deepEqual(await run('list', 'extra'), {
      stdout: '',
      stderr: 'tsez: Unexpected argument: extra\n',
      exitCode: 2,
    })
    assert.ok(host.fake.calls('freebsd-update').some((call) => call.includes('fetch')))
  })
})
