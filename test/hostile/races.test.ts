// Mutating commands started together as real processes: the host lock serialises them and every jail stays whole.
import assert from 'node:assert/strict'
import {lstat, readFile, readdir} from 'node:fs/promises'
import path from 'node:path'

import {parseJailConf} from '../../src/jail/conf-parse.js'
import type {JailRecord} from '../../src/jail/store.js'
import type {ListResult} from '../../src/list/service.js'
import {packageRoot, spawnNode, type CliResult} from '../support/cli.js'
import {createInstalledHost, type InstalledHost} from '../support/installed-host.js'
import {isRoot, runTsez} from './support.js'

const HOLD_LOCK = path.join(packageRoot, 'test/hostile/hold-lock.ts')
const exists = async (p: string) => (await lstat(p).catch(() => undefined)) !== undefined

interface Run extends CliResult {
  pid: number
  /** It found the host lock held before it took it (hold-lock.ts). */
  waited: boolean
  /** Its `tsez: ` lines (warnings left out). */
  errors: string[]
}

describe('hostile: mutating commands racing for the host lock', function () {
  this.timeout(60_000)
  let host: InstalledHost
  before(async function () {
    if (!isRoot) this.skip() // created jails have root-owned files
    host = await createInstalledHost()
  })
  after(async () => host?.cleanup())

  const ok = async (...args: string[]) => {
    const result = await runTsez(args, host.env)
    assert.equal(result.exitCode, 0, `${args.join(' ')}: ${result.stderr}`)
  }

  /**
   * Starts every argv at once as a real tsez, each holding the lock 0.7 s longer once it has it (so the others meet
   * it held), waiting up to LOCKWAIT seconds for it; checks each one's stderr and that exactly one never waited.
   */
  const race = async (argvs: string[][], lockWait = 30): Promise<Run[]> => {
    const env = {...host.env, NODE_ENV: 'development', TSEZ_TEST_HOLD_LOCK_MS: '700', TSEZ_LOCK_WAIT: `${lockWait}`}
    const started = argvs.map((args) =>
      spawnNode(['--import', 'tsx', '--import', HOLD_LOCK, path.join(packageRoot, 'bin/dev.js'), ...args], env),
    )
    const runs = await Promise.all(
      started.map(async ({child, done}): Promise<Run> => {
        const result = await done
        const lines = result.stderr.split('\n')
        const errors = lines.filter((line) => line.startsWith('tsez: ') && !line.startsWith('tsez: warning: '))
        return {...result, pid: child.pid ?? 0, waited: lines.includes('hold-lock: waited'), errors}
      }),
    )
    for (const [i, run] of runs.entries()) {
      const what = `${argvs[i]?.join(' ')}: exit ${run.exitCode}: ${run.stderr}`
      assert.ok([0, 1, 2].includes(run.exitCode), what)
      assert.equal(run.errors.length, run.exitCode === 0 ? 0 : 1, what)
      assert.doesNotMatch(run.stderr, /^\s+at /m, `a stack trace: ${what}`)
    }
    assert.equal(runs.filter((run) => !run.waited).length, 1, 'one took the lock, the others met it held')
    return runs
  }

  /** Every jail whole: record, jail.conf, fstab, root and dependencies agree; nothing half-done or orphaned. */
  const assertWhole = async () => {
    const {confdir, jailconf, fstab, dbdir, jaildir} = host.dirs
    const names = (await readdir(confdir)).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5))
    for (const name of names) {
      const record = JSON.parse(await readFile(path.join(confdir, `${name}.json`), 'utf8')) as JailRecord
      assert.equal(record.name, name)
      assert.ok(await exists(path.join(record.root, 'etc')), `${name}: root ${record.root}`)
      const [conf] = parseJailConf(await readFile(path.join(jailconf, `${name}.conf`), 'utf8'))
      assert.deepEqual([conf?.name, conf?.params.get('path')], [name, [record.root]], `${name}.conf`)
      const mounts = await readFile(path.join(fstab, `fstab.${name}`), 'utf8')
      assert.ok(mounts.includes(`\t${record.root}/basejail\tnullfs\tro`), `fstab.${name}: ${mounts}`)
      for (const dependency of record.depend) assert.ok(names.includes(dependency), `${name} depends on ${dependency}`)
    }
    const confs = (await readdir(jailconf)).map((f) => f.replace(/\.conf$/, ''))
    assert.deepEqual(confs.sort(), [...names].sort(), 'a jail.conf for every record, no other')
    const fstabs = (await readdir(fstab)).filter((f) => f.startsWith('fstab.')).map((f) => f.slice(6))
    assert.deepEqual(fstabs.sort(), [...names].sort(), 'an fstab for every record, no other')
    const leftover = /^(create|rename|delete)-.*\.json$|\.tmp-|^lock$/
    for (const dir of [dbdir, confdir, jailconf, fstab]) {
      assert.deepEqual(
        (await readdir(dir)).filter((f) => leftover.test(f)),
        [],
        `left in ${dir}`,
      )
    }
    assert.deepEqual(
      (await readdir(jaildir)).filter((f) => f.startsWith('.')),
      [],
      'staging left in the jail directory',
    )
    for (const jail of host.fake.jails()) assert.ok(names.includes(jail.name), `${jail.name} runs without a record`)
    const listed = await runTsez(['list', '--json'], host.env)
    const incomplete = (JSON.parse(listed.stdout) as ListResult).jails.filter((j) => j.state === 'incomplete')
    assert.deepEqual(incomplete, [])
    return names
  }
  const running = () => host.fake.jails().map((jail) => jail.name)
  const codes = (runs: Run[]) => runs.map((run) => run.exitCode)
  const holder = (runs: Run[]) => runs.find((run) => !run.waited)

  it('create × create, the same name: one creates it, the other exits 2 naming it', async () => {
    const runs = await race([
      ['create', 'same1', '10.1.0.1'],
      ['create', 'same1', '10.1.0.2'],
    ])
    assert.deepEqual([...codes(runs)].sort(), [0, 2])
    assert.match(runs.find((run) => run.exitCode === 2)?.errors[0] ?? '', /a jail named "same1" already exists/)
    assert.ok((await assertWhole()).includes('same1'))
  })

  it('create × create, a lock wait shorter than the hold: the loser exits 1 naming the holder', async () => {
    const runs = await race(
      [
        ['create', 'nowait1', '10.1.0.3'],
        ['create', 'nowait1', '10.1.0.4'],
      ],
      0.3,
    )
    const winner = holder(runs)
    const loser = runs.find((run) => run !== winner)
    assert.equal(winner?.exitCode, 0, winner?.stderr)
    assert.equal(loser?.exitCode, 1, loser?.stderr)
    const named = new RegExp(`tsez create nowait1 \\(pid ${winner?.pid}, since [-0-9T:.Z]+\\) holds the host lock`)
    assert.match(loser?.errors[0] ?? '', named)
    assert.ok((await assertWhole()).includes('nowait1'))
  })

  it('create × create, two names one jail name (a.example.com, a-example.com): one exits 2', async () => {
    const runs = await race([
      ['create', 'r3.example.com', '10.1.0.5'],
      ['create', 'r3-example.com', '10.1.0.6'],
    ])
    assert.deepEqual([...codes(runs)].sort(), [0, 2])
    assert.match(runs.find((run) => run.exitCode === 2)?.errors[0] ?? '', /becomes jail name "r3_example_com"/)
    assert.ok((await assertWhole()).includes('r3_example_com'))
  })

  it('create × create × create, three names: all three, one after the other', async () => {
    const runs = await race([
      ['create', 'tri1', '10.1.0.7'],
      ['create', 'tri2', '10.1.0.8'],
      ['create', '-f', 'webserver', 'tri3', '10.1.0.9'],
    ])
    assert.deepEqual(codes(runs), [0, 0, 0])
    const names = await assertWhole()
    for (const name of ['tri1', 'tri2', 'tri3']) assert.ok(names.includes(name), name)
  })

  it('create X × delete X (no X yet): X is whole, or created and then deleted', async () => {
    const runs = await race([
      ['create', 'cd1', '10.1.0.10'],
      ['delete', 'cd1'],
    ])
    const names = await assertWhole()
    assert.equal(runs[0]?.exitCode, 0, runs[0]?.stderr)
    if (runs[1]?.exitCode === 0) assert.ok(!names.includes('cd1'), 'deleted after it was created')
    else {
      assert.match(runs[1]?.errors[0] ?? '', /no jail named "cd1"/)
      assert.ok(names.includes('cd1'))
    }
  })

  it('delete -w × delete -w, the same jail: one deletes it, the other exits 2; nothing of it left', async () => {
    await ok('create', 'dd1', '10.1.0.11')
    const runs = await race([
      ['delete', '-w', '--force', 'dd1'],
      ['delete', '-w', '--force', 'dd1'],
    ])
    assert.deepEqual([...codes(runs)].sort(), [0, 2])
    assert.match(runs.find((run) => run.exitCode === 2)?.errors[0] ?? '', /no jail named "dd1"/)
    assert.ok(!(await assertWhole()).includes('dd1'))
    assert.equal(await exists(path.join(host.dirs.jaildir, 'dd1')), false)
  })

  it('delete × config of the same jail: deleted either way; config ran first or exits 2', async () => {
    await ok('create', 'dc1', '10.1.0.12')
    const runs = await race([
      ['delete', 'dc1'],
      ['config', 'dc1', '--norun'],
    ])
    assert.equal(runs[0]?.exitCode, 0, runs[0]?.stderr)
    if (runs[1]?.exitCode !== 0) assert.match(runs[1]?.errors[0] ?? '', /no jail named "dc1"/)
    assert.ok(!(await assertWhole()).includes('dc1'))
  })

  it('config --rename A B × create B: one of them gets B, the other exits 2', async () => {
    await ok('create', 'rc1', '10.1.0.14')
    const runs = await race([
      ['config', 'rc1', '--rename', 'rc2'],
      ['create', 'rc2', '10.1.0.15'],
    ])
    assert.deepEqual([...codes(runs)].sort(), [0, 2])
    const loser = runs.find((run) => run.exitCode === 2)
    assert.match(loser?.errors[0] ?? '', /a jail named "rc2" already exists|rc2 exists already/)
    const names = await assertWhole()
    assert.ok(names.includes('rc2'))
    assert.equal(names.includes('rc1'), runs[0]?.exitCode === 2, 'rc1 stays unless renamed')
  })

  it('start × stop of the same jail: both succeed, the jail ends running or stopped, never half', async () => {
    await ok('create', 'ss1', '10.1.0.16')
    const runs = await race([
      ['start', 'ss1'],
      ['stop', 'ss1'],
    ])
    assert.deepEqual(codes(runs), [0, 0])
    assert.ok((await assertWhole()).includes('ss1'))
    assert.equal(running().includes('ss1'), holder(runs) === runs[1], 'running only if the stop came first')
    await ok('stop', '-a')
  })

  it('install --force × create: the basejail replaced whole, the jail created whole, in either order', async () => {
    const runs = await race([
      ['install', '--force', '--no-patch', '-r', '14.3-RELEASE', '-a', 'amd64/amd64', '-h', host.httpMirror],
      ['create', 'ic1', '10.1.0.17'],
    ])
    assert.deepEqual(codes(runs), [0, 0], runs.map((run) => run.stderr).join('\n'))
    assert.ok((await assertWhole()).includes('ic1'))
    assert.ok(await exists(path.join(host.dirs.basejail, 'bin/freebsd-version')))
    assert.ok(await exists(path.join(host.dirs.jaildir, 'ic1/etc')))
  })

  it('update -u × create: both succeed, one after the other', async () => {
    const runs = await race([
      ['update', '-u'],
      ['create', 'uc1', '10.1.0.18'],
    ])
    assert.deepEqual(codes(runs), [0, 0], runs.map((run) => run.stderr).join('\n'))
    assert.ok((await assertWhole()).includes('uc1'))
  })

  it('delete -w × create of another jail from the same template: both whole', async () => {
    await ok('create', 'dw1', '10.1.0.19')
    const runs = await race([
      ['delete', '-w', '--force', 'dw1'],
      ['create', 'dw2', '10.1.0.20'],
    ])
    assert.deepEqual(codes(runs), [0, 0], runs.map((run) => run.stderr).join('\n'))
    const names = await assertWhole()
    assert.ok(names.includes('dw2') && !names.includes('dw1'))
    assert.equal(await exists(path.join(host.dirs.jaildir, 'dw1')), false)
  })
})
