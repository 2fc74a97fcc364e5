// update -i on ZFS: the new world goes in through install's staging datasets (create, copy, rename), never in place.
import assert from 'node:assert/strict'
import {appendFile, mkdir, mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {readUserlandVersion} from '../../src/base/freebsd-update.js'
import {generateRelease} from '../fixtures/release.js'
import {tsez} from '../support/cli.js'
import {createTestHost, installArgs, type TestHost} from '../support/test-host.js'

const PARENT = 'zroot/tsez'

describe('tsez update -i on ZFS', function () {
  this.timeout(300_000)
  let host: TestHost
  let work: string
  let src: string

  before(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'tsez-update-source-zfs-'))
    const next = await generateRelease(path.join(work, '14.4'), {version: '14.4-RELEASE', lib32: false, src: false})
    src = path.join(work, 'src')
    await mkdir(path.join(src, 'sys/conf'), {recursive: true})
    await writeFile(path.join(src, 'Makefile'), '# FreeBSD world (fake)\n')
    await writeFile(path.join(src, 'sys/conf/newvers.sh'), 'REVISION="14.4"\nBRANCH="RELEASE"\n')
    await writeFile(path.join(work, 'world'), next.sets.base!.path)
  })
  after(() => rm(work, {recursive: true, force: true}))
  beforeEach(async () => {
    host = await createTestHost()
    await appendFile(host.configFile, `tsez_use_zfs="YES"\ntsez_zfs_parent="${PARENT}"\n`)
    host.fake.set('zfs.datasets', `zroot\t-\n${PARENT}\t-\n`)
    const installed = await tsez(installArgs(host, '--no-patch'), host.env)
    assert.equal(installed.exitCode, 0, installed.stderr)
    host.fake.set('make.world', await readFile(path.join(work, 'world'), 'utf8'))
  })
  afterEach(() => host.cleanup())

  const datasets = () =>
    (host.fake.read('zfs.datasets') ?? '')
      .split('\n')
      .filter(Boolean)
      .map((line) => line.split('\t').slice(0, 2).join(' '))
  const changes = () =>
    host.fake
      .calls('zfs')
      .filter(([, command]) => command !== 'list' && command !== 'get')
      .map((call) => call.slice(1).join(' '))

  it('builds the new world in staging datasets and renames them in; the old ones go', async () => {
    const before = changes().length
    const result = await tsez(['update', '-i', '-s', src], host.env)
    assert.equal(result.exitCode, 0, result.stderr)
    const staging = path.join(host.dirs.jaildir, '.tsez-staging')
    const swap = changes().slice(before)
    assert.ok(swap.includes(`create -o mountpoint=${staging}/zfs-new-basejail ${PARENT}/basejail.tsez-new`), swap.join('\n')) // prettier-ignore
    assert.ok(swap.includes(`rename ${PARENT}/basejail.tsez-new ${PARENT}/basejail`), swap.join('\n'))
    assert.deepEqual(datasets().slice(2), [
      `${PARENT}/basejail ${host.dirs.basejail}`,
      `${PARENT}/newjail ${host.dirs.newjail}`,
    ])
    assert.equal(await readUserlandVersion(host.dirs.basejail), '14.4-RELEASE')
  })

  it('a failing installworld leaves the datasets and the base as they were, no staging dataset left', async () => {
    const pool = datasets()
    host.fake.set('make.fail.installworld', '')
    const result = await tsez(['update', '-i', '-s', src], host.env)
    assert.equal(result.exitCode, 1)
    assert.match(result.stderr, /make installworld failed .*the basejail is unchanged \(14\.3-RELEASE\)/)
    assert.deepEqual(datasets(), pool)
    assert.equal(await readUserlandVersion(host.dirs.basejail), '14.3-RELEASE')
  })
})
