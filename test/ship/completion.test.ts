// Shell completion: completion/ is what bin/completion.js makes of the manifest; bash completes commands, flags,
// flag values, jail names and flavour names from the host (tsez __complete); zsh and fish scripts parse.
import assert from 'node:assert/strict'
import {execFile} from 'node:child_process'
import {chmod, mkdir, mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {promisify} from 'node:util'

import {renderCompletions} from '../../bin/completion.js'
import {packageRoot, tsez} from '../support/cli.js'
import {seedHost, seedJail, type SeededHost} from '../support/seed-jails.js'

const exec = promisify(execFile)

describe('shell completion', () => {
  let host: SeededHost
  let shim: string
  before(async () => {
    host = await seedHost()
    await seedJail(host.config, {name: 'web1', addresses: ['10.0.0.5']})
    await seedJail(host.config, {name: 'db1', addresses: ['10.0.0.6']})
    for (const flavour of ['default', 'webserver'])
      await mkdir(path.join(host.config.flavours, flavour), {recursive: true})
    // `tsez` on PATH for the completion scripts: the sources, this host.
    shim = await mkdtemp(path.join(tmpdir(), 'tsez-complete-bin-'))
    const dev = path.join(packageRoot, 'bin/dev.js')
    // tsx resolves from the working directory: the package's.
    const script = `#!/bin/sh\ncd "${packageRoot}" && exec "${process.execPath}" --import tsx "${dev}" "$@"\n`
    await writeFile(path.join(shim, 'tsez'), script)
    await chmod(path.join(shim, 'tsez'), 0o755)
  })
  after(async () => {
    await host?.cleanup()
    if (shim) await rm(shim, {recursive: true, force: true})
  })

  it('completion/ is generated from oclif.manifest.json (npm run completion)', async () => {
    const manifest = JSON.parse(await readFile(path.join(packageRoot, 'oclif.manifest.json'), 'utf8')) as unknown
    for (const [file, text] of Object.entries(renderCompletions(manifest))) {
      assert.equal(await readFile(path.join(packageRoot, file), 'utf8'), text, `${file}: run npm run completion`)
    }
  })

  it('tsez __complete jails|flavours prints the names, one a line; nothing for a host without them', async () => {
    const env = {TSEZ_CONFIG: host.configFile}
    assert.deepEqual(await tsez(['__complete', 'jails'], env), {stdout: 'db1\nweb1\n', stderr: '', exitCode: 0})
    assert.deepEqual(await tsez(['__complete', 'flavours'], env), {
      stdout: 'default\nwebserver\n',
      stderr: '',
      exitCode: 0,
    })
    const empty = await mkdtemp(path.join(tmpdir(), 'tsez-complete-empty-'))
    try {
      const config = path.join(empty, 'tsez.conf')
      await writeFile(config, `tsez_jaildir="${empty}/jails"\ntsez_confdir="${empty}/records"\n`)
      assert.deepEqual(await tsez(['__complete', 'jails'], {TSEZ_CONFIG: config}), {
        stdout: '',
        stderr: '',
        exitCode: 0,
      })
    } finally {
      await rm(empty, {recursive: true, force: true})
    }
    assert.equal((await tsez(['__complete', 'hosts'], env)).exitCode, 2)
  })

  /** What bash's completion offers for LINE (the word under the cursor is the last one, maybe ''). */
  async function bashComplete(line: string): Promise<string[]> {
    const words = line.split(' ')
    const script = [
      `source ${JSON.stringify(path.join(packageRoot, 'completion/tsez.bash'))}`,
      `COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')})`,
      `COMP_CWORD=${words.length - 1}`,
      '_tsez',
      'printf "%s\\n" "${COMPREPLY[@]}"',
    ].join('\n')
    const env = {...process.env, PATH: `${shim}:${process.env.PATH}`, TSEZ_CONFIG: host.configFile}
    const {stdout} = await exec('bash', ['-c', script], {env, cwd: host.dir})
    return stdout.split('\n').filter(Boolean).sort()
  }

  it('bash: commands, topics, flags and their fixed values', async () => {
    assert.deepEqual(await bashComplete('tsez st'), ['start', 'stop'])
    assert.deepEqual(await bashComplete('tsez import '), ['ezjail', 'jail-conf'])
    assert.deepEqual(await bashComplete('tsez archive -c '), ['none', 'xz', 'zstd'])
    const flags = await bashComplete('tsez list --')
    for (const flag of ['--columns', '--config', '--json', '--verbose']) assert.ok(flags.includes(flag), flag)
    assert.ok((await bashComplete('tsez install --')).includes('--no-patch'))
  })

  it('bash: jail names and flavour names from the host', async () => {
    assert.deepEqual(await bashComplete('tsez start '), ['db1', 'web1'])
    assert.deepEqual(await bashComplete('tsez console w'), ['web1'])
    assert.deepEqual(await bashComplete('tsez config web1 --depend '), ['db1', 'web1'])
    assert.deepEqual(await bashComplete('tsez create -f '), ['default', 'webserver'])
    assert.deepEqual(await bashComplete('tsez create --flavour w'), ['webserver'])
  })

  it('zsh and fish parse their scripts (when installed)', async function () {
    const checks: Array<[string, string[]]> = [
      ['zsh', ['-n', path.join(packageRoot, 'completion/_tsez')]],
      ['fish', ['--no-execute', path.join(packageRoot, 'completion/tsez.fish')]],
    ]
    let ran = 0
    for (const [shell, args] of checks) {
      try {
        await exec(shell, args)
        ran++
      } catch (error) {
        if ((error as {code?: unknown}).code !== 'ENOENT') throw error
      }
    }
    if (ran === 0) this.skip() // neither zsh nor fish here: .ci/run installs both
  })

  it('fish: commands and jail names (when installed)', async function () {
    const env = {...process.env, PATH: `${shim}:${process.env.PATH}`, TSEZ_CONFIG: host.configFile}
    const complete = async (line: string) => {
      const script = `source ${path.join(packageRoot, 'completion/tsez.fish')}; complete -C '${line}'`
      const {stdout} = await exec('fish', ['-c', script], {env})
      return stdout
        .split('\n')
        .filter(Boolean)
        .map((row) => row.split('\t')[0])
        .sort()
    }
    try {
      await exec('fish', ['--version'])
    } catch {
      this.skip() // fish is not installed: .ci/run installs it
    }
    assert.deepEqual(await complete('tsez st'), ['start', 'stop'])
    assert.deepEqual(await complete('tsez stop '), ['db1', 'web1'])
    assert.deepEqual(await complete('tsez create -f '), ['default', 'webserver'])
  })
})
