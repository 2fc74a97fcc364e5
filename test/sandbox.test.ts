// npm run sandbox: the host it keeps, its env file, and tsez used by hand through it (then served again).
import assert from 'node:assert/strict'
import {spawn, type ChildProcess} from 'node:child_process'
import {mkdtemp, readFile, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {packageRoot, type CliResult} from './support/cli.js'
import {removeTree} from './support/tree.js'

/** Starts the sandbox in DIR; resolves once it serves (its output so far), the child to stop with SIGINT. */
function startSandbox(dir: string): Promise<{child: ChildProcess; output: string}> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(packageRoot, 'test/sandbox.ts')], {
    env: {...process.env, TSEZ_SANDBOX: dir},
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  let output = ''
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the sandbox exited ${code}: ${output}`)))
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk
      if (output.includes('serving until Ctrl-C')) resolve({child, output})
    })
  })
}

async function stop(child: ChildProcess): Promise<number | null> {
  child.removeAllListeners('exit')
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  child.kill('SIGINT')
  return exited
}

/** The env file's `export KEY='value'` lines as an environment. */
async function sourced(file: string): Promise<NodeJS.ProcessEnv> {
  const text = await readFile(file, 'utf8')
  const env: NodeJS.ProcessEnv = {}
  for (const [, key = '', value = ''] of text.matchAll(/^export (\w+)='(.*)'$/gm))
    env[key] = value.replaceAll(`'\\''`, "'")
  return env
}

/** `tsez ARGS` as a user runs it after sourcing the env file: the sandbox's bin/tsez, first on its PATH. */
function tsezByHand(env: NodeJS.ProcessEnv, ...args: string[]): Promise<CliResult> {
  const script = path.join(env.PATH?.split(':')[0] ?? '', 'tsez')
  const child = spawn(script, args, {env: {...process.env, ...env}, stdio: ['ignore', 'pipe', 'pipe']})
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  return new Promise((resolve) => child.on('close', (code) => resolve({stdout, stderr, exitCode: code ?? 1})))
}

describe('npm run sandbox', function () {
  this.timeout(180_000)
  let dir: string

  before(async () => (dir = await mkdtemp(path.join(tmpdir(), 'tsez-sandbox-test-'))))
  after(async () => {
    await removeTree(dir)
    await rm(dir, {recursive: true, force: true})
  })

  it('serves two releases; tsez install, create, start, list and update -U by hand; kept for the next run', async () => {
    const first = await startSandbox(dir)
    assert.match(first.output, /serves 14\.3-RELEASE and 15\.0-RELEASE/)
    const env = await sourced(path.join(dir, 'env'))
    try {
      assert.equal(env.TSEZ_CONFIG, path.join(dir, 'tsez.conf'))
      assert.equal(env.TSEZ_FAKE_HOST, path.join(dir, 'fake-host'))
      for (const args of [
        ['install', '-r', '14.3-RELEASE'],
        ['create', 'web1', '10.0.0.5'],
        ['start', 'web1'],
      ]) {
        const result = await tsezByHand(env, ...args)
        assert.equal(result.exitCode, 0, `tsez ${args.join(' ')}: ${result.stderr}`)
      }
    } finally {
      assert.equal(await stop(first.child), 0)
    }
    // A second run serves the same host on a new port: the config follows, the jail is still there.
    const second = await startSandbox(dir)
    assert.doesNotMatch(second.output, /generating/)
    try {
      const upgrade = await tsezByHand(env, 'update', '-U', '-r', '15.0-RELEASE')
      assert.equal(upgrade.exitCode, 0, upgrade.stderr)
      const list = await tsezByHand(env, 'list', '--json')
      const {jails} = JSON.parse(list.stdout) as {jails: Array<{name: string; state: string; release: string}>}
      assert.deepEqual(
        jails.map(({name, state, release}) => [name, state, release]),
        [['web1', 'running', '15.0-RELEASE']],
      )
    } finally {
      assert.equal(await stop(second.child), 0)
    }
  })
})
