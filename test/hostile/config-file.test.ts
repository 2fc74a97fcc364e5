import assert from 'node:assert/strict'
import {chmod, mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {tsez} from '../support/cli.js'

// A config that is not the one meant, or one someone else could have written, must never steer a root process.
describe('hostile: the config file tsez reads', () => {
  let dir: string
  beforeEach(async () => (dir = await mkdtemp(path.join(tmpdir(), 'tsez-hostile-config-'))))
  afterEach(() => rm(dir, {recursive: true, force: true}))

  const refused = async (args: string[], env: NodeJS.ProcessEnv, rule: RegExp) => {
    const result = await tsez(['list', '--json', ...args], env)
    assert.equal(result.exitCode, 2, `${args.join(' ')} ${JSON.stringify(env)}: ${result.stdout}`)
    const {error} = JSON.parse(result.stdout) as {error: {message: string}}
    assert.match(error.message, rule)
    assert.equal(error.message.includes('\n'), false)
  }

  it("--config '', --config= and TSEZ_CONFIG='' are refused, never read as the defaults", async () => {
    await refused(['--config', ''], {}, /^--config is empty: name a config file/)
    await refused(['--config='], {}, /^--config is empty/)
    await refused([], {TSEZ_CONFIG: ''}, /^TSEZ_CONFIG is empty/)
  })

  it('a named file that is missing is refused (flag or variable)', async () => {
    await refused(['--config', path.join(dir, 'nope.conf')], {}, /cannot read config file .*nope\.conf: no such file/)
    await refused([], {TSEZ_CONFIG: path.join(dir, 'nope.conf')}, /no such file/)
  })

  it('tsez_jaildir="/" and a tsez.conf others may write are refused', async () => {
    const file = path.join(dir, 'tsez.conf')
    await writeFile(file, 'tsez_jaildir="/"\n', {mode: 0o644})
    await refused(['--config', file], {}, /tsez_jaildir must not be \//)
    await writeFile(file, `tsez_jaildir="${dir}/jails"\n`)
    await chmod(file, 0o666)
    await refused(['--config', file], {}, /writable by group or others/)
  })
})
