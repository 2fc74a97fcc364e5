// The real-host suite (test/freebsd/) cannot run here: it refuses, is type-checked, its CI file parses, and its
// steps pass against the fake host, so the fakes answer where it looks as FreeBSD does.
import assert from 'node:assert/strict'
import {execFile} from 'node:child_process'
import {mkdir, readFile} from 'node:fs/promises'
import path from 'node:path'
import {promisify} from 'node:util'

import yaml from 'js-yaml'
import ts from 'typescript'

import {realHostRefusal} from '../freebsd/guard.js'
import {scenarioSteps, type ScenarioHost} from '../freebsd/scenario.js'
import {packageRoot, spawnNode, tsez} from '../support/cli.js'
import {createTestHost, installArgs, RELEASE, type TestHost} from '../support/test-host.js'

const exec = promisify(execFile)
const SUITE_FILES = ['guard.ts', 'scenario.ts', 'real-host.suite.ts', 'run.ts'].map((f) => `test/freebsd/${f}`)

describe('the real-host suite', () => {
  it('refuses unless FreeBSD, root, TSEZ_REAL_HOST=1 and a scratch directory or dataset', () => {
    const good = {TSEZ_REAL_HOST: '1', TSEZ_TEST_DIR: '/var/tmp/scratch'}
    const refusal = (platform: NodeJS.Platform, uid: number | undefined, env: NodeJS.ProcessEnv) =>
      realHostRefusal({platform, uid, env})
    assert.equal(refusal('freebsd', 0, good), undefined)
    assert.equal(refusal('freebsd', 0, {TSEZ_REAL_HOST: '1', TSEZ_TEST_DATASET: 'zroot/scratch'}), undefined)
    assert.match(refusal('linux', 0, good)!, /only on FreeBSD \(this is linux\)/)
    assert.match(refusal('freebsd', 1001, good)!, /as root/)
    assert.match(refusal('freebsd', 0, {...good, TSEZ_REAL_HOST: 'yes'})!, /TSEZ_REAL_HOST=1/)
    assert.match(refusal('freebsd', 0, {TSEZ_REAL_HOST: '1'})!, /scratch directory/)
    for (const dir of ['/', 'relative/dir', '/a/../'])
      assert.match(refusal('freebsd', 0, {...good, TSEZ_TEST_DIR: dir})!, /absolute directory other than \//, dir)
    for (const dataset of ['zroot', '/zroot/x', 'zroot/x y'])
      assert.match(refusal('freebsd', 0, {TSEZ_REAL_HOST: '1', TSEZ_TEST_DATASET: dataset})!, /below a pool/, dataset)
  })

  it('npm run test:freebsd refuses here with one line and exit 2, even when asked to run', async () => {
    const run = spawnNode(['--import', 'tsx', path.join(packageRoot, 'test/freebsd/run.ts')], {
      TSEZ_REAL_HOST: '1',
      TSEZ_TEST_DIR: '/var/tmp/tsez-never',
    })
    assert.deepEqual(await run.done, {
      stdout: '',
      stderr: `test:freebsd: refused: it runs only on FreeBSD (this is ${process.platform})\n`,
      exitCode: 2,
    })
    const scripts = (
      JSON.parse(await readFile(path.join(packageRoot, 'package.json'), 'utf8')) as {
        scripts: Record<string, string>
      }
    ).scripts
    assert.equal(scripts['test:freebsd'], 'node --import tsx test/freebsd/run.ts')
  })

  it('is type-checked: test/tsconfig.json takes in every file of test/freebsd', () => {
    const parsed = ts.getParsedCommandLineOfConfigFile(
      path.join(packageRoot, 'test/tsconfig.json'),
      {},
      {
        ...ts.sys,
        onUnRecoverableConfigFileDiagnostic: (diagnostic) =>
          assert.fail(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')),
      },
    )
    const files = new Set(parsed?.fileNames.map((file) => path.relative(packageRoot, file)))
    assert.deepEqual(
      SUITE_FILES.filter((file) => !files.has(file)),
      [],
    )
  })

  it('.cirrus.yml runs it on FreeBSD 14.3 and 15.1 VMs, opted in, in a scratch directory', async () => {
    const cirrus = yaml.load(await readFile(path.join(packageRoot, '.cirrus.yml'), 'utf8')) as {
      freebsd_task: {
        matrix: Array<{freebsd_instance: {image_family: string}}>
        env: Record<string, string>
        install_script: string[]
        test_script: string[]
      }
    }
    const task = cirrus.freebsd_task
    assert.deepEqual(
      task.matrix.map((entry) => entry.freebsd_instance.image_family),
      ['freebsd-14-3', 'freebsd-15-1'],
    )
    assert.equal(task.env.TSEZ_REAL_HOST, '1')
    assert.equal(realHostRefusal({platform: 'freebsd', uid: 0, env: task.env}), undefined)
    assert.ok(task.install_script.some((line) => /pkg install -y node2[246]\b/.test(line)))
    assert.deepEqual(task.test_script, ['npm ci', 'npm run test:freebsd'])
  })

  describe('its steps against the fake host', () => {
    let host: TestHost
    const scenario = {} as ScenarioHost
    before(async function () {
      if (process.getuid?.() !== 0) this.skip() // install keeps owners: root only
      host = await createTestHost()
      // The fake jexec prints its knob: what freebsd-version -u says in a jail of the installed release.
      host.fake.set('jexec.stdout', `${RELEASE}\n`)
      const archives = path.join(host.root, 'archives')
      await mkdir(archives)
      Object.assign(scenario, {
        tsez: (args: string[]) => tsez(args, host.env),
        async mountPoints() {
          const {stdout} = await exec('mount', ['-p'], {env: {...process.env, ...host.env}})
          return stdout
            .split('\n')
            .map((line) => line.split(/\s+/)[1] ?? '')
            .filter(Boolean)
        },
        installArgs: installArgs(host),
        jaildir: host.dirs.jaildir,
        archives,
        addresses: ['lo0|127.0.79.1', 'lo0|127.0.79.2'],
      } satisfies ScenarioHost)
    })
    after(async () => host?.cleanup())

    for (const [what, step] of scenarioSteps(scenario)) it(what, step)
  })
})
