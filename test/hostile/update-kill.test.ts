// `update -u` and `update -U -r` SIGKILLed before each of their file-system changes (kill-at-step.ts; a sample of
// -U's, whose stock /etc build makes hundreds), and while freebsd-update runs: the same command run again finishes
// the job (base, release.json, every /etc merged), leaves no temp file, note or lock, and touches nothing else.
import assert from 'node:assert/strict'
import {mkdtemp, readFile, readdir, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'

import type {UpdateResult} from '../../src/update/service.js'
import {serveDirectory, type ServedDirectory} from '../fixtures/http-server.js'
import {generateRelease} from '../fixtures/release.js'
import {packageRoot, spawnNode, tsez} from '../support/cli.js'
import {NEVER, killedAtStep} from '../support/kill-run.js'
import {diffTrees, snapshotTree, type Snapshot} from '../support/tree.js'
import {createUpdateSandbox, type UpdateSandbox} from '../support/update-jails.js'

const TARGET = '15.1-RELEASE'
const PATCH = '14.3-RELEASE-p5'

describe('hostile: tsez update killed part way', function () {
  this.timeout(900_000)
  let releases: string
  let server: ServedDirectory
  let box: UpdateSandbox
  before(async () => {
    releases = await mkdtemp(path.join(tmpdir(), 'tsez-update-kill-'))
    for (const version of ['14.3-RELEASE', TARGET]) {
      await generateRelease(path.join(releases, 'releases/amd64/amd64', version), {version, lib32: false, src: false})
    }
    server = await serveDirectory(releases)
  })
  after(async () => {
    await server?.close()
    await rm(releases, {recursive: true, force: true})
  })
  afterEach(async () => box?.cleanup())

  const commands = {
    patch: ['update', '-u', '--json'],
    upgrade: () => ['update', '-U', '-r', TARGET, '-h', server.url, '--json'],
  }
  const fresh = async () => {
    box = await createUpdateSandbox({mirror: `${server.url}/releases/amd64/amd64/14.3-RELEASE/`})
    await box.seedJails(3)
    box.host.set('freebsd-update.patch', PATCH)
    return box
  }
  /** tsez ARGS as a real process, SIGKILLed before its STEPth change under the sandbox; the result and its count. */
  const killedAt = (args: string[], step: number) => killedAtStep(args, step, {env: box.env, under: box.dir})
  /** Every jail's root, record, jail.conf and fstab, but etcupdate's state: update never changes them. */
  const jailsSnapshot = async () => {
    const etcupdate = (rel: string) => /(^|\/)var\/db\/etcupdate(\/|$)/.test(rel)
    const {confdir, jailconfDir, fstabDir, jaildir} = box.config
    const trees = [
      confdir,
      jailconfDir,
      fstabDir,
      ...['jail001', 'jail002', 'jail003'].map((j) => path.join(jaildir, j)),
    ]
    return Promise.all(trees.map((tree) => snapshotTree(tree, {exclude: etcupdate})))
  }
  const unchanged = async (before: Snapshot[], what: string) => {
    const after = await jailsSnapshot()
    const diffs = before.flatMap((tree, i) => diffTrees(tree, after[i]!, {ignoreMtimeOf: ['var/db']}))
    assert.deepEqual(diffs, [], `${what}: the jails' own files changed`)
  }
  const leftovers = async () => {
    const found: string[] = []
    const walk = async (dir: string): Promise<void> => {
      for (const entry of await readdir(dir, {withFileTypes: true}).catch(() => [])) {
        const full = path.join(dir, entry.name)
        if (/^lock|\.tmp-[0-9a-f]{12}$|^\.partial-|^\.build-|^update-pending\.json$/.test(entry.name)) found.push(full)
        if (entry.isDirectory() && !full.endsWith('/freebsd-update')) await walk(full)
      }
    }
    await walk(box.config.dbdir)
    await walk(box.config.cachedir)
    return found
  }
  const merged = () =>
    new Set(
      box.host
        .calls('etcupdate')
        .filter((call) => call[1] === '-D' && call[4]?.endsWith(`etc-${TARGET}.tbz`))
        .map((call) => path.basename(call[2] ?? '')),
    )

  /** After the kill, the same command again: the whole job done, nothing left over, the jails' own files as before. */
  const finishes = async (args: string[], what: string, before: Snapshot[], lockWait = '0') => {
    const again = await tsez(args, {...box.env, TSEZ_LOCK_WAIT: lockWait})
    assert.equal(again.exitCode, 0, `${what}: the next run: ${again.stderr}`)
    const upgrade = args.includes('-U')
    const version = upgrade ? TARGET : PATCH
    assert.equal(await box.baseVersion(), version, what)
    const record = JSON.parse(await readFile(path.join(box.config.dbdir, 'release.json'), 'utf8')) as {
      userland: string
    }
    assert.equal(record.userland, version, `${what}: release.json`)
    if (upgrade) {
      assert.deepEqual([...merged()].sort(), ['jail001', 'jail002', 'jail003', 'newjail'], `${what}: merged /etc`)
      const report = JSON.parse(again.stdout) as UpdateResult
      assert.ok(report.upToDate || report.jails.every((jail) => jail.ok), `${what}: ${again.stdout}`)
    } else assert.deepEqual([...merged()], [], `${what}: -u merges no /etc`)
    assert.deepEqual(await leftovers(), [], `${what}: left over`)
    await unchanged(before, what)
  }

  const walk = async (name: 'patch' | 'upgrade', sample: (total: number) => number[]) => {
    const args = name === 'patch' ? commands.patch : commands.upgrade()
    await fresh()
    const probe = await killedAt(args, NEVER)
    assert.equal(probe.exitCode, 0, probe.stderr)
    const steps = sample(probe.changes)
    for (const step of steps) {
      await box.cleanup()
      await fresh()
      const before = await jailsSnapshot()
      const killed = await killedAt(args, step)
      assert.equal(killed.exitCode, 128, `step ${step} of ${probe.changes}: not killed: ${killed.stderr}`)
      await finishes(args, `${name}, killed before change ${step} of ${probe.changes}`, before)
    }
    return {total: probe.changes, steps}
  }

  it('update -u, killed before each of its changes: the next update -u finishes it', async () => {
    const {total, steps} = await walk('patch', (total) => Array.from({length: total}, (_, i) => i + 1))
    assert.ok(total >= 10 && steps.length === total, `only ${total} changes`)
  })

  it('update -U -r, killed before a spread of its changes: the next update -U -r finishes it', async () => {
    const {total} = await walk('upgrade', (total) => {
      const spread = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9].map((f) => Math.round(total * f))
      const ends = [1, 2, 3, 4, 5, 6, ...Array.from({length: 16}, (_, i) => total - i)]
      return [...new Set([...ends, ...spread])].filter((s) => s >= 1 && s <= total).sort((a, b) => a - b)
    })
    assert.ok(total > 30, `only ${total} changes`)
  })

  it('killed while freebsd-update installs: the next update waits for it, then finishes the upgrade', async () => {
    await fresh()
    const before = await jailsSnapshot()
    // The orphan's install waits until the test lets it go: however slow the machine, it is still running below.
    box.host.set('freebsd-update.hold', 'install')
    const argv = ['--import', 'tsx', path.join(packageRoot, 'bin/dev.js'), ...commands.upgrade()]
    const {child, done} = spawnNode(argv, {...box.env, NODE_ENV: 'development'})
    const installing = () => box.host.calls('freebsd-update').some((call) => call.at(-1) === 'install')
    for (let waited = 0; !installing(); waited += 50) {
      assert.ok(waited < 60_000, 'freebsd-update install never started')
      await sleep(50)
    }
    child.kill('SIGKILL')
    assert.equal((await done).exitCode, 128)
    const calls = box.host.calls('freebsd-update').length
    // Its freebsd-update lives on (a SIGKILL reaches tsez alone): no second one may run beside it.
    const early = await tsez(commands.upgrade(), box.env)
    assert.equal(early.exitCode, 1, JSON.stringify(early))
    assert.match(
      (JSON.parse(early.stdout) as {error: {message: string}}).error.message,
      /freebsd-update \(pid \d+\), still running for tsez update \(pid \d+.*holds the host lock/,
    )
    assert.equal(box.host.calls('freebsd-update').length, calls, 'no freebsd-update started beside the orphan')
    box.host.unset('freebsd-update.hold')
    await finishes(commands.upgrade(), 'killed during install', before, '30')
  })
})
