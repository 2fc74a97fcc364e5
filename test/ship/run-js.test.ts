// bin/run.js: the --version fast path says what oclif says, the compile cache fills its directory or is skipped
// silently, Node before 22 is refused with one line, and a reader of stdout that went away ends no run badly.
import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {once} from 'node:events'
import {existsSync} from 'node:fs'
import {cp, mkdir, mkdtemp, readdir, rename, rm, symlink, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {buildRelease} from '../../bin/build.js'
import {packageRoot, spawnNode} from '../support/cli.js'

describe('bin/run.js', () => {
  let pkg: string
  let scratch: string
  before(async () => {
    // A package as npm installs it (as test/bin/build.test.ts lays it out).
    pkg = await mkdtemp(path.join(tmpdir(), 'tsez-runjs-'))
    scratch = await mkdtemp(path.join(tmpdir(), 'tsez-runjs-home-'))
    await mkdir(path.join(pkg, 'bin'))
    await cp(path.join(packageRoot, 'bin/run.js'), path.join(pkg, 'bin/run.js'))
    await cp(path.join(packageRoot, 'package.json'), path.join(pkg, 'package.json'))
    await symlink(path.join(packageRoot, 'node_modules'), path.join(pkg, 'node_modules'))
    await buildRelease(path.join(pkg, 'dist'))
  })
  after(async () => {
    for (const dir of [pkg, scratch]) if (dir) await rm(dir, {recursive: true, force: true})
  })

  const run = (args: string[], env: NodeJS.ProcessEnv = {}) =>
    spawnNode([path.join(pkg, 'bin/run.js'), ...args], {NODE_ENV: 'production', HOME: scratch, ...env}).done

  it('prints for --version what oclif prints, without loading it', async () => {
    const viaOclif = path.join(pkg, 'oclif-version.mjs')
    const execute = `import {execute} from './dist/src/cli/oclif.js'\n`
    await writeFile(
      viaOclif,
      `${execute}await execute({args: ['--version'], dir: new URL('bin/run.js', import.meta.url).href})\n`,
    )
    const expected = await spawnNode([viaOclif], {NODE_ENV: 'production'}).done
    assert.equal(expected.exitCode, 0, expected.stderr)
    assert.match(expected.stdout, /^tsez\/\d+\.\d+\.\d+ \S+-\S+ node-v\d+/)
    // oclif and the bundle out of reach: --version needs neither.
    await rename(path.join(pkg, 'dist'), path.join(pkg, 'dist.away'))
    try {
      assert.deepEqual(await run(['--version']), {stdout: expected.stdout, stderr: '', exitCode: 0})
    } finally {
      await rename(path.join(pkg, 'dist.away'), path.join(pkg, 'dist'))
    }
  })

  it('keeps the compile cache under $XDG_CACHE_HOME/tsez, else ~/.cache/tsez', async () => {
    const xdg = path.join(scratch, 'xdg')
    const help = await run(['list', '--help'], {XDG_CACHE_HOME: xdg})
    assert.equal(help.exitCode, 0, help.stderr)
    assert.ok((await readdir(path.join(xdg, 'tsez/node-compile-cache'))).length > 0)
    const home = await run(['list', '--help'], {XDG_CACHE_HOME: ''})
    assert.equal(home.exitCode, 0, home.stderr)
    assert.ok((await readdir(path.join(scratch, '.cache/tsez/node-compile-cache'))).length > 0)
  })

  it('keeps no cache when HOME is / (rc(8) at boot): never a /.cache', async function () {
    if (existsSync('/.cache/tsez')) this.skip() // something else made it: nothing to tell
    const result = await run(['list', '--help'], {HOME: '/', XDG_CACHE_HOME: ''})
    assert.equal(result.exitCode, 0, result.stderr)
    assert.ok(!existsSync('/.cache/tsez'))
  })

  it('runs without the cache, silently, when its directory cannot be made', async () => {
    const file = path.join(scratch, 'a-file')
    await writeFile(file, '')
    const result = await run(['list', '--help'], {XDG_CACHE_HOME: file})
    assert.equal(result.stderr, '')
    assert.equal(result.exitCode, 0)
    assert.match(result.stdout, /List the jails/)
  })

  it('refuses Node before 22 with one line, exit 1', async () => {
    const node20 = 'data:text/javascript,Object.defineProperty(process.versions,"node",{value:"20.19.0"})'
    const result = await spawnNode(['--import', node20, path.join(pkg, 'bin/run.js'), 'list'], {}).done
    assert.deepEqual(result, {
      stdout: '',
      stderr: 'tsez: needs Node.js 22 or later (this is Node.js 20.19.0)\n',
      exitCode: 1,
    })
  })

  it('a reader of stdout gone before anything was written (`tsez --help | head -1`): its own exit status, no warning', async () => {
    // oclif's help, and a command started directly whose --json refusal (exit 2) goes to stdout
    for (const [args, exit] of [
      [['--help'], 0],
      [['list', '--help'], 0],
      [['list', '--json'], 2],
    ] as const) {
      const child = spawn(process.execPath, [path.join(pkg, 'bin/run.js'), ...args], {
        env: {...process.env, NODE_ENV: 'production', HOME: scratch, TSEZ_CONFIG: path.join(scratch, 'none.conf')},
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      child.stdout.destroy() // the read end closed before the child wrote: its first write is EPIPE
      let stderr = ''
      child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text))
      const [code] = (await once(child, 'close')) as [number | null]
      assert.equal(code, exit, stderr)
      assert.equal(stderr, '')
    }
  })
})
