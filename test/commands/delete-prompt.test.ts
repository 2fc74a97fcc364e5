// delete -w at a terminal (script(1) gives tsez a pty): the jail's name deletes it, any other answer says so and
// deletes nothing.
import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {existsSync} from 'node:fs'
import path from 'node:path'

import {packageRoot, tsez} from '../support/cli.js'
import {createInstalledHost, type InstalledHost} from '../support/installed-host.js'
import {diffTrees, snapshotTree} from '../support/tree.js'

const isRoot = process.getuid?.() === 0
const SCRIPT = '/usr/bin/script'

/** `tsez delete -w NAME` on a pty (util-linux script -qec), ANSWER typed once the prompt shows. */
function deleteAtTerminal(host: InstalledHost, name: string, answer: string) {
  const command = `node --import tsx ${path.join(packageRoot, 'bin/dev.js')} delete -w ${name}`
  const child = spawn(SCRIPT, ['-qec', command, '/dev/null'], {
    cwd: packageRoot,
    env: {...host.env, NODE_ENV: 'development'},
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk
    if (output.includes('Type its name to confirm:') && child.stdin.writable) child.stdin.end(`${answer}\n`)
  })
  return new Promise<{output: string; exitCode: number}>((resolve) =>
    child.on('close', (code) => resolve({output, exitCode: code ?? 1})),
  )
}

describe('tsez delete -w at a terminal', function () {
  this.timeout(60_000)
  let host: InstalledHost
  before(async function () {
    if (!isRoot || !existsSync(SCRIPT)) this.skip()
    host = await createInstalledHost()
    const created = await tsez(['create', 'web1', '10.0.0.5'], host.env)
    assert.equal(created.exitCode, 0, created.stderr)
  })
  after(async () => host?.cleanup())

  it('a wrong answer: says the answer was not the name (not "no prompt without a terminal"), exit 2, nothing deleted', async () => {
    const before = await snapshotTree(host.root)
    const result = await deleteAtTerminal(host, 'web1', 'web2')
    assert.equal(result.exitCode, 2, result.output)
    assert.match(result.output, /tsez: the answer was not "web1": nothing deleted/)
    assert.doesNotMatch(result.output, /without a terminal/)
    const lock = path.relative(host.root, host.dirs.dbdir)
    assert.deepEqual(diffTrees(before, await snapshotTree(host.root), {ignoreMtimeOf: [lock]}), [])
  })

  it("the jail's name: deleted with its root", async () => {
    const result = await deleteAtTerminal(host, 'web1', 'web1')
    assert.equal(result.exitCode, 0, result.output)
    assert.match(result.output, /deleted jail web1 and its root/)
    assert.equal(existsSync(path.join(host.dirs.jaildir, 'web1')), false)
  })
})
