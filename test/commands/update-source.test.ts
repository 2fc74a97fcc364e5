// update -b/-i: the world is made into staging, split and swapped in as install does; failures leave the base alone.
import assert from 'node:assert/strict'
import {Ajv2020} from 'ajv/dist/2020.js'
import {mkdir, mkdtemp, readFile, readdir, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {readUserlandVersion} from '../../src/base/freebsd-update.js'
import {pathExists} from '../../src/system/files.js'
import {generateRelease} from '../fixtures/release.js'
import {packageRoot, spawnTsez, tsez, tsezOk} from '../support/cli.js'
import {createInstalledHost, type InstalledHost} from '../support/installed-host.js'
import {snapshotTree} from '../support/tree.js'

const paths = (snapshot: Map<string, unknown>) => [...snapshot.keys()].join('\n')

describe('tsez update -b/-i: from a source tree through staging', function () {
  this.timeout(300_000)
  let host: InstalledHost
  let work: string
  let nextWorld: string

  before(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'tsez-update-source-'))
    nextWorld = (await generateRelease(path.join(work, '14.4'), {version: '14.4-RELEASE', lib32: false, src: false}))
      .sets.base!.path
  })
  after(() => rm(work, {recursive: true, force: true}))
  beforeEach(async () => (host = await createInstalledHost()))
  afterEach(() => host.cleanup())

  const staging = () => path.join(host.dirs.jaildir, '.tsez-staging')
  const record = async () => JSON.parse(await readFile(path.join(host.dirs.dbdir, 'release.json'), 'utf8')) as Record<string, unknown> // prettier-ignore
  const ok = (args: string[]) => tsezOk(args, host.env)

  /** A source tree whose newvers.sh names RELEASE and whose (fake) make installs WORLD (a base.txz). */
  async function sourceTree(release: string, world: string): Promise<string> {
    const src = path.join(host.root, 'src')
    await mkdir(path.join(src, 'sys/conf'), {recursive: true})
    await writeFile(path.join(src, 'Makefile'), '# FreeBSD world (fake)\n')
    const [revision, branch] = [release.slice(0, release.indexOf('-')), release.slice(release.indexOf('-') + 1)]
    await writeFile(path.join(src, 'sys/conf/newvers.sh'), `TYPE="FreeBSD"\nREVISION="${revision}"\nBRANCH="${branch}"\n`) // prettier-ignore
    host.fake.set('make.world', world)
    return src
  }

  /** The template's etcupdate state is left out: create records it again for the new release on first need. */
  async function trees() {
    const exclude = (rel: string) => rel === 'var/db/etcupdate'
    return {base: await snapshotTree(host.dirs.basejail), newjail: await snapshotTree(host.dirs.newjail, {exclude})}
  }

  it('-i of the same release: installworld and distribution into staging, the install split, no merge (said so)', async () => {
    const src = await sourceTree('14.3-RELEASE', path.join(host.releaseDir, 'base.txz'))
    await ok(['create', 'web1', '10.0.6.1'])
    const before = await trees()
    await writeFile(path.join(host.dirs.newjail, 'etc/stale-template-file'), 'old\n')
    const etcupdateBefore = host.fake.calls('etcupdate').length
    const result = await ok(['update', '-i', '-s', src])
    const full = path.join(staging(), 'full')
    assert.deepEqual(host.fake.calls('make'), [
      ['make', '-C', src, 'installworld', `DESTDIR=${full}`, 'DB_FROM_SRC=1'],
      ['make', '-C', src, 'distribution', `DESTDIR=${full}`, 'DB_FROM_SRC=1'],
    ])
    const after = await trees()
    assert.equal(paths(after.base), paths(before.base), 'the basejail has the shape of an install of the same world')
    assert.equal(paths(after.newjail), paths(before.newjail), 'the newjail is the new split (stale file gone)')
    assert.match(result.stdout, /14\.3-RELEASE again: no jail's \/etc is merged/)
    assert.equal(host.fake.calls('etcupdate').length, etcupdateBefore)
    assert.equal(await pathExists(path.join(host.dirs.newjail, 'etc/stale-template-file')), false)
    assert.equal(await pathExists(staging()), false)
    const committed = await record()
    assert.deepEqual([committed.release, committed.userland, committed.source, committed.provider], ['14.3-RELEASE', '14.3-RELEASE', src, 'dist-sets']) // prettier-ignore
  })

  it('-b of another release: buildworld -j NCPU first, the new base and record, every jail merged, conflicts per jail', async () => {
    const src = await sourceTree('14.4-RELEASE', nextWorld)
    host.fake.set('sysctl.hw.ncpu', '3')
    await ok(['create', 'web1', '10.0.6.1'])
    await ok(['create', 'web2', '10.0.6.2'])
    host.fake.set('etcupdate.conflicts.web2', '/etc/rc.conf\n')
    const before = await trees()
    const result = await tsez(['update', '-b', '-s', src], host.env)
    assert.equal(result.exitCode, 1, result.stderr)
    const targets = host.fake.calls('make').map((call) => call.slice(1).find((word) => /^[a-z]+$/.test(word)))
    assert.deepEqual(targets.slice(0, 3), ['buildworld', 'installworld', 'distribution'])
    assert.deepEqual(host.fake.calls('make')[0], ['make', '-C', src, '-j', '3', 'buildworld'])
    assert.equal(await readUserlandVersion(host.dirs.basejail), '14.4-RELEASE')
    assert.equal(paths((await trees()).base), paths(before.base))
    assert.deepEqual([(await record()).release, (await record()).source], ['14.4-RELEASE', src])
    const tarball = path.join(host.dirs.dbdir, 'etcupdate/etc-14.4-RELEASE.tbz')
    assert.ok(await pathExists(tarball))
    const merged = host.fake.calls('etcupdate').filter((call) => call[1] === '-D')
    assert.deepEqual(merged.map((call) => path.basename(call[2]!)).sort(), ['web1', 'web2'])
    assert.ok(merged.every((call) => call[4] === tarball))
    assert.match(result.stdout, /web1: ok/)
    assert.match(result.stdout, /web2: .*1 conflict left for etcupdate resolve -D \S+web2: \/etc\/rc\.conf/)
    const list = JSON.parse((await ok(['list', '--json'])).stdout) as {jails: Array<{release: string}>}
    assert.deepEqual(
      list.jails.map((jail) => jail.release),
      ['14.4-RELEASE', '14.4-RELEASE'],
    )
  })

  for (const step of ['buildworld', 'installworld', 'distribution'] as const) {
    it(`make ${step} failing: exit 1, the old base byte-identical, staging removed, no jail touched`, async () => {
      const src = await sourceTree('14.4-RELEASE', nextWorld)
      await ok(['create', 'web1', '10.0.6.1'])
      const before = {...(await trees()), record: await record()}
      host.fake.set(`make.fail.${step}`, '')
      const result = await tsez(['update', '-b', '-s', src], host.env)
      assert.equal(result.exitCode, 1)
      assert.match(result.stderr, new RegExp(`make ${step} failed \\(exit 1\\).*the basejail is unchanged \\(14\\.3-RELEASE\\)`)) // prettier-ignore
      assert.deepEqual(await trees(), {base: before.base, newjail: before.newjail})
      assert.deepEqual(await record(), before.record)
      assert.equal(await pathExists(staging()), false)
      assert.deepEqual(
        host.fake.calls('etcupdate').filter((call) => call[1] === '-D'),
        [],
      )
    })
  }

  it('etcupdate build failing: nothing swapped, no jail merged', async () => {
    const src = await sourceTree('14.4-RELEASE', nextWorld)
    const before = await trees()
    host.fake.set('etcupdate.fail', 'build')
    const result = await tsez(['update', '-i', '-s', src], host.env)
    assert.equal(result.exitCode, 1)
    assert.match(result.stderr, /etcupdate build failed/)
    assert.deepEqual(await trees(), before)
    assert.equal(await pathExists(staging()), false)
  })

  it('a world that is not the release newvers.sh names: nothing swapped', async () => {
    const src = await sourceTree('14.4-RELEASE', path.join(host.releaseDir, 'base.txz'))
    const before = await trees()
    const result = await tsez(['update', '-i', '-s', src], host.env)
    assert.equal(result.exitCode, 1)
    assert.match(result.stderr, /newvers\.sh names 14\.4-RELEASE but the installed world reports 14\.3-RELEASE/)
    assert.deepEqual(await trees(), before)
  })

  it('SIGKILL during installworld: the old base stays; the next run sweeps the staging and succeeds', async () => {
    const src = await sourceTree('14.4-RELEASE', nextWorld)
    const before = await trees()
    host.fake.set('make.sleep.installworld', '1')
    const {child, done} = spawnTsez(['update', '-i', '-s', src], host.env)
    const half = path.join(staging(), 'full/bin')
    while (!(await pathExists(half))) await new Promise((resolve) => setTimeout(resolve, 50))
    child.kill('SIGKILL')
    await done
    assert.deepEqual(await trees(), before)
    assert.equal(await pathExists(staging()), true, 'the killed run left its staging tree')
    host.fake.unset('make.sleep.installworld')
    // The lock names the orphaned make: the next run waits for it, then sweeps what it left.
    const rerun = await tsez(['update', '-i', '-s', src], {...host.env, TSEZ_LOCK_WAIT: '30'})
    assert.equal(rerun.exitCode, 0, rerun.stderr)
    assert.equal(await readUserlandVersion(host.dirs.basejail), '14.4-RELEASE')
    assert.equal(paths((await trees()).base), paths(before.base))
    assert.equal(await pathExists(staging()), false)
  })

  it('SIGKILL after the swap, before the merges: -i refused naming -U -r, which merges every jail', async () => {
    const src = await sourceTree('14.4-RELEASE', nextWorld)
    await ok(['create', 'web1', '10.0.6.1'])
    const calls = host.fake.calls('etcupdate').length
    host.fake.set('etcupdate.sleep', '1')
    const {child, done} = spawnTsez(['update', '-i', '-s', src], host.env)
    const merging = () =>
      host.fake
        .calls('etcupdate')
        .slice(calls)
        .some((call) => call[1] === '-D')
    while (!merging()) await new Promise((resolve) => setTimeout(resolve, 50))
    child.kill('SIGKILL')
    await done
    host.fake.unset('etcupdate.sleep')
    assert.equal(await readUserlandVersion(host.dirs.basejail), '14.4-RELEASE')
    const env = {...host.env, TSEZ_LOCK_WAIT: '30'}
    const again = await tsez(['update', '-i', '-s', src], env)
    assert.equal(again.exitCode, 2)
    assert.match(again.stderr, /before every jail's \/etc was merged: run tsez update -U -r 14\.4-RELEASE first/)
    const before = host.fake.calls('etcupdate').length
    const finish = await tsez(['update', '-U', '-r', '14.4-RELEASE'], env)
    assert.equal(finish.exitCode, 0, finish.stderr)
    const merged = host.fake
      .calls('etcupdate')
      .slice(before)
      .filter((call) => call[1] === '-D')
    assert.ok(merged.some((call) => call[2]?.endsWith('/web1') && call[4]?.endsWith('etc-14.4-RELEASE.tbz')))
    assert.deepEqual(host.fake.calls('freebsd-update'), [])
    assert.equal(await pathExists(path.join(host.dirs.dbdir, 'update-pending.json')), false)
  })

  it('-n prints the make runs with their variables, the swap and the etcupdate runs, and changes nothing', async () => {
    const src = await sourceTree('14.4-RELEASE', nextWorld)
    await ok(['create', 'web1', '10.0.6.1'])
    const before = await trees()
    const result = await ok(['update', '-b', '-s', src, '-n'])
    const full = path.join(staging(), 'full')
    for (const line of [
      `run make -C ${src} -j 2 buildworld (the basejail is not touched)`,
      `run make -C ${src} installworld DESTDIR=${full} DB_FROM_SRC=1`,
      `run make -C ${src} distribution DESTDIR=${full} DB_FROM_SRC=1`,
      `check ${full}/bin/freebsd-version reports 14.4-RELEASE`,
    ])
      assert.ok(result.stdout.includes(line), `${line}\n--- in ---\n${result.stdout}`)
    assert.match(result.stdout, /run etcupdate build -d \S+ -s \S+src \S+etc-14\.4-RELEASE\.tbz/)
    assert.match(result.stdout, /swap \S+basejail and \S+newjail/)
    assert.match(result.stdout, /run etcupdate -D \S+web1 -t \S+etc-14\.4-RELEASE\.tbz/)
    assert.deepEqual(host.fake.calls('make'), [])
    assert.deepEqual(await trees(), before)
    const json = JSON.parse((await ok(['update', '-i', '-s', src, '-n', '--json'])).stdout) as {plan: string[]}
    assert.ok(json.plan.some((line) => line.includes('installworld')))
  })

  it('--json of a real run follows schema/update.json, with the same-release note', async () => {
    const src = await sourceTree('14.3-RELEASE', path.join(host.releaseDir, 'base.txz'))
    const result = await ok(['update', '-i', '-s', src, '--json'])
    const output = JSON.parse(result.stdout) as {action: string; etcMerged: boolean; notes: string[]}
    const ajv = new Ajv2020({allErrors: true, strict: true})
    const schemas = path.join(packageRoot, 'schema')
    for (const file of (await readdir(schemas)).filter((name) => name.endsWith('.json')))
      ajv.addSchema(JSON.parse(await readFile(path.join(schemas, file), 'utf8')) as object)
    const validate = ajv.getSchema('https://tsez.invalid/schema/update.json')!
    assert.ok(validate(output), JSON.stringify(validate.errors))
    assert.deepEqual([output.action, output.etcMerged], ['installworld', false])
    assert.match(output.notes.join('\n'), /no jail's \/etc is merged/)
  })

  it('an upgrade whose /etc merges are unfinished: -i refused (exit 2), naming the -U that finishes it', async () => {
    const src = await sourceTree('14.4-RELEASE', nextWorld)
    const note = {action: 'upgrade', targetRelease: '14.3-RELEASE', startedAt: '2026-12-01T00:00:00.000Z'}
    await writeFile(path.join(host.dirs.dbdir, 'update-pending.json'), JSON.stringify(note) + '\n')
    const result = await tsez(['update', '-i', '-s', src], host.env)
    assert.equal(result.exitCode, 2)
    assert.match(result.stderr, /stopped before every jail's \/etc was merged: run tsez update -U -r 14\.3-RELEASE/)
    assert.deepEqual(host.fake.calls('make'), [])
  })

  it('running jails have the basejail mounted: refused (exit 2) before anything is built', async () => {
    const src = await sourceTree('14.4-RELEASE', nextWorld)
    await ok(['create', 'web1', '10.0.6.1'])
    await ok(['start', 'web1'])
    const result = await tsez(['update', '-b', '-s', src], host.env)
    assert.equal(result.exitCode, 2)
    assert.match(result.stderr, /the basejail is mounted at .*web1.*: stop those jails before replacing it/)
    assert.deepEqual(host.fake.calls('make'), [])
  })
})
