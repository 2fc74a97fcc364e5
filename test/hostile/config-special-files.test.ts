// --config or TSEZ_CONFIG naming a FIFO, a socket, a device or a directory: a real tsez exits 2 at once with one
// line naming what it is (a FIFO with no writer used to block the read forever), and changes nothing.
import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {once} from 'node:events'
import {mkdir} from 'node:fs/promises'
import {createServer, type Server} from 'node:net'
import path from 'node:path'

import {spawnTsez} from '../support/cli.js'
import {diffTrees, snapshotTree} from '../support/tree.js'
import {createUpdateSandbox, type UpdateSandbox} from '../support/update-jails.js'

describe('hostile: --config naming something that is not a regular file', function () {
  this.timeout(120_000)
  let box: UpdateSandbox
  let server: Server
  const special = (name: string) => path.join(box.dir, 'special', name)
  before(async () => {
    box = await createUpdateSandbox()
    await box.seedJails(1)
    await mkdir(path.join(box.dir, 'special', 'conf.d'), {recursive: true})
    execFileSync('mkfifo', [special('fifo.conf')])
    server = createServer().listen(special('socket.conf'))
    await once(server, 'listening')
  })
  after(async () => {
    server?.close()
    await box?.cleanup()
  })

  /** A real tsez, killed if it is still running after 15 s (a hang is the failure this file is about). */
  const refused = async (args: string[], env: NodeJS.ProcessEnv, rule: RegExp) => {
    const before = await snapshotTree(box.dir)
    const {child, done} = spawnTsez(args, {...box.env, ...env})
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000)
    const result = await done.finally(() => clearTimeout(timer))
    const what = `tsez ${args.join(' ')} ${JSON.stringify(env)}`
    assert.equal(result.exitCode, 2, `${what}: exit ${result.exitCode} (128: it hung): ${result.stderr}`)
    assert.match(result.stderr, /^tsez: [^\n]*\n$/, `${what}: not one line: ${JSON.stringify(result.stderr)}`)
    assert.match(result.stderr, rule, what)
    assert.equal(result.stdout, '', what)
    assert.deepEqual(diffTrees(before, await snapshotTree(box.dir)), [], `${what} changed something`)
  }

  const cases: Array<[string, () => string, string]> = [
    ['a FIFO no one writes to', () => special('fifo.conf'), 'not a regular file \\(fifo\\)'],
    ['a socket', () => special('socket.conf'), 'not a regular file \\(socket\\)'],
    [
      '/dev/null (an empty config is an empty regular file)',
      () => '/dev/null',
      'not a regular file \\(character device\\)',
    ],
    ['a directory', () => special('conf.d'), 'EISDIR \\(--config .*: a directory\\)'],
  ]
  for (const [what, file, message] of cases) {
    it(`${what}: update -u and create exit 2 at once, one line, nothing changed`, async () => {
      await refused(['update', '-u', '--config', file()], {}, new RegExp(`^tsez: .*${message}\\n$`))
      await refused(['create', '--config', file(), 'web9', '10.0.9.9'], {}, new RegExp(message))
    })
  }

  it('the same through TSEZ_CONFIG and through a symlink to a FIFO', async () => {
    const fifo = special('fifo.conf')
    await refused(
      ['list'],
      {TSEZ_CONFIG: fifo},
      new RegExp(`^tsez: TSEZ_CONFIG ${fifo}: not a regular file \\(fifo\\)`),
    )
    const link = special('link.conf')
    execFileSync('ln', ['-sf', fifo, link])
    await refused(['list', '--config', link], {}, new RegExp(`^tsez: --config ${link}: not a regular file \\(fifo\\)`))
  })
})
