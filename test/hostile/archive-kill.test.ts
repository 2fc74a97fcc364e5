// `tsez restore` and `tsez archive` SIGKILLed at a spread of steps: no half jail, no partial archive under its final
// name, and the next command sweeps what was left.
import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {lstat, mkdir, readdir, writeFile} from 'node:fs/promises'
import path from 'node:path'

import type {ArchiveResult} from '../../src/archive/service.js'
import type {ListResult} from '../../src/list/service.js'
import {packageRoot, spawnNode, tsez} from '../support/cli.js'
import {NEVER, killedAtStep} from '../support/kill-run.js'
import {createInstalledHost, type InstalledHost} from '../support/installed-host.js'
import {diffTrees, snapshotTree} from '../support/tree.js'

const isRoot = process.getuid?.() === 0
const exists = async (p: string) => (await lstat(p).catch(() => undefined)) !== undefined

describe('hostile: tsez restore and archive killed part way', () => {
  let host: InstalledHost
  before(async function () {
    if (!isRoot) this.skip()
    host = await createInstalledHost()
  })
  after(async () => host?.cleanup())

  const ok = async (args: string[]) => {
    const result = await tsez(args, host.env)
    assert.equal(result.exitCode, 0, `${args.join(' ')}: ${result.stderr}`)
    return result
  }
  const killedAt = (args: string[], step: number) =>
    killedAtStep(args, step, {env: host.env, under: host.root, sync: true})
  const hidden = async (dir: string) => (await readdir(dir)).filter((name) => name.startsWith('.'))

  it('restore: the jail whole or not there at every step; the next restore finishes', async function () {
    this.timeout(600_000)
    await ok(['create', 'web1', '10.0.5.1'])
    const root = path.join(host.dirs.jaildir, 'web1')
    for (let i = 0; i < 20; i++) await writeFile(path.join(root, `file-${i}`), `${i}\n`)
    const tree = await snapshotTree(root)
    const archived = JSON.parse((await ok(['archive', '--json', 'web1'])).stdout) as ArchiveResult
    const file = archived.jails[0]?.file ?? ''
    const args = ['restore', '--name', 'copy', '--ip', '10.0.5.2', file]
    const probe = await killedAt(args, NEVER)
    assert.equal(probe.exitCode, 0, probe.stderr)
    const total = probe.changes
    assert.ok(total > 50, `a restore made only ${total} changes`)
    await ok(['delete', '-w', '--force', 'copy'])
    const steps = [1, 2, 3, 5, ...[0.1, 0.3, 0.5, 0.7, 0.9].map((f) => Math.round(total * f)), total - 3, total - 1]
    const copyRoot = path.join(host.dirs.jaildir, 'copy')
    for (const step of steps) {
      const killed = await killedAt(args, step)
      assert.equal(killed.exitCode, 128, `step ${step} of ${total}: not killed: ${killed.stderr}`)
      const record = await exists(path.join(host.dirs.confdir, 'copy.json'))
      if (record) assert.deepEqual(diffTrees(tree, await snapshotTree(copyRoot)), [], `step ${step}: half a jail`)
      const listed = JSON.parse((await ok(['list', '--json'])).stdout) as ListResult
      const copy = listed.jails.find((jail) => jail.name === 'copy')
      assert.equal(copy !== undefined && copy.state !== 'incomplete', record, `step ${step}: listed as ${copy?.state}`)
      const again = await tsez(args, host.env)
      assert.equal(again.exitCode, record ? 2 : 0, `step ${step}: ${again.stderr}`)
      assert.deepEqual(
        diffTrees(tree, await snapshotTree(copyRoot)),
        [],
        `step ${step}: the jail after the next restore`,
      )
      assert.deepEqual(await hidden(host.dirs.jaildir), [], `step ${step}: staging left`)
      await ok(['delete', '-w', '--force', 'copy']) // a journal left beside a committed record goes now
      const journals = (await readdir(host.dirs.dbdir)).filter((n) => n.startsWith('create-'))
      assert.deepEqual(journals, [], `step ${step}`)
    }
  })

  it('archive: never a partial file under the final name; the next archive sweeps the rest', async function () {
    this.timeout(600_000)
    const dir = path.join(host.root, 'archives')
    const data = path.join(host.dirs.jaildir, 'web1', 'var/bulk')
    await mkdir(data, {recursive: true})
    for (let i = 0; i < 40; i++) await writeFile(path.join(data, `f${i}`), Buffer.alloc(256 * 1024, i))
    const probe = await killedAt(['archive', '-d', dir, 'web1'], NEVER)
    assert.equal(probe.exitCode, 0, probe.stderr)
    const total = probe.changes
    const check = async (where: string, what: string) => {
      const names = await readdir(where).catch(() => [] as string[])
      for (const name of names.filter((n) => n.endsWith('.tsez.tar.xz'))) {
        assert.ok(names.includes(`${name}.sha256`), `${what}: ${name} without its sha256`)
        execFileSync('sha256sum', ['-c', `${name}.sha256`], {cwd: where})
      }
    }
    for (let step = 1; step < total; step++) {
      const stepDir = path.join(dir, `step-${step}`)
      const killed = await killedAt(['archive', '-d', stepDir, 'web1'], step)
      if (killed.exitCode === 0 && step > 8) break // a run into a directory that exists makes fewer changes
      assert.equal(killed.exitCode, 128, `step ${step} of ${total}: not killed: ${killed.stderr}`)
      await check(stepDir, `step ${step}`)
      await new Promise((resolve) => setTimeout(resolve, 1100)) // the next archive's name has another second
      await ok(['archive', '-d', stepDir, 'web1'])
      await check(stepDir, `step ${step}, the next archive`)
      assert.deepEqual(await hidden(stepDir), [], `step ${step}: the next archive swept the leftovers`)
    }
    // Killed while the archive streams: the partial file is there, under its temporary name only.
    const {child, done} = spawnNode(
      ['--import', 'tsx', path.join(packageRoot, 'bin/dev.js'), 'archive', '-d', dir, 'web1'],
      {
        ...host.env,
        NODE_ENV: 'development',
      },
    )
    for (let tries = 0; tries < 400 && !(await readdir(dir)).some((n) => n.includes('.partial-')); tries++) {
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
    child.kill('SIGKILL')
    await done
    await check(dir, 'killed while streaming')
    await new Promise((resolve) => setTimeout(resolve, 1100))
    await ok(['archive', '-d', dir, 'web1'])
    await check(dir, 'after the next archive')
    const left = (await readdir(dir)).filter((n) => n.includes('.partial-') || n.includes('.tmp-'))
    assert.deepEqual(left, [], 'the next archive swept the leftovers')
    for (const name of (await readdir(dir)).filter((n) => n.endsWith('.sha256'))) {
      assert.ok(await exists(path.join(dir, name.slice(0, -'.sha256'.length))), `${name} without its archive`)
    }
  })
})
