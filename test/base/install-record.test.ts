// The install record: written with a structured mirror, read back; records older tsez wrote (mirror as text) still read.
import assert from 'node:assert/strict'
import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {resolveConfig, type TsezConfig} from '../../src/config.js'
import {
  installRecordPath,
  newInstallRecord,
  readInstallRecord,
  recordBaseVersion,
  renderInstallRecord,
} from '../../src/base/install-record.js'
import {parseRelease} from '../../src/dist/release.js'

describe('base/install-record', () => {
  let dir: string
  let config: TsezConfig
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'tsez-record-'))
    config = resolveConfig(new Map([['tsez_dbdir', dir]]), undefined)
  })
  afterEach(async () => rm(dir, {recursive: true, force: true}))

  const oldRecord = (mirror: string) => ({
    release: '14.3-RELEASE',
    userland: '14.3-RELEASE-p2',
    machine: 'amd64',
    arch: 'amd64',
    mirror,
    sets: [],
    patched: true,
    installedAt: '2026-01-01T00:00:00.000Z',
  })

  it('stores the mirror as a Mirror and reads it back', async () => {
    const url = 'https://download.freebsd.org/releases/amd64/amd64/14.3-RELEASE/'
    const record = newInstallRecord({
      release: parseRelease('14.3-RELEASE'),
      userland: '14.3-RELEASE-p5',
      platform: {machine: 'amd64', arch: 'amd64'},
      mirror: {kind: 'http', url},
      sets: [{name: 'base', file: 'base.txz', sha256: 'a'.repeat(64), entries: 3}],
      patched: true,
      installedAt: new Date('2026-11-28T15:00:00.000Z'),
    })
    await writeFile(installRecordPath(config), renderInstallRecord(record))
    const written = JSON.parse(await readFile(installRecordPath(config), 'utf8')) as Record<string, unknown>
    assert.deepEqual(Object.keys(written), [
      'release',
      'userland',
      'machine',
      'arch',
      'mirror',
      'provider',
      'sets',
      'patched',
      'installedAt',
    ])
    assert.equal(written.provider, 'dist-sets')
    assert.deepEqual(written.mirror, {kind: 'http', url})
    assert.deepEqual(await readInstallRecord(config), record)
  })

  it('reads the mirror of records written as describeMirror text (http and file://)', async () => {
    const url = 'http://127.0.0.1:8080/releases/amd64/amd64/14.3-RELEASE/'
    await writeFile(installRecordPath(config), JSON.stringify(oldRecord(url), null, 2) + '\n')
    assert.deepEqual((await readInstallRecord(config))?.mirror, {kind: 'http', url})
    await writeFile(installRecordPath(config), JSON.stringify(oldRecord('file:///usr/freebsd-dist/'), null, 2) + '\n')
    assert.deepEqual((await readInstallRecord(config))?.mirror, {kind: 'file', dir: '/usr/freebsd-dist'})
    await writeFile(installRecordPath(config), JSON.stringify(oldRecord('somewhere'), null, 2) + '\n')
    assert.equal((await readInstallRecord(config))?.mirror, undefined)
  })

  it('an update of an old record keeps its mirror, now stored as a Mirror', async () => {
    await writeFile(installRecordPath(config), JSON.stringify(oldRecord('file:///dist/'), null, 2) + '\n')
    const record = await readInstallRecord(config)
    assert.ok(record)
    const change = {release: '15.1-RELEASE', userland: '15.1-RELEASE', updatedAt: '2026-11-28T15:00:00.000Z'}
    await recordBaseVersion(config, record, change)
    const written = JSON.parse(await readFile(installRecordPath(config), 'utf8')) as Record<string, unknown>
    assert.deepEqual(written, {...oldRecord('file:///dist/'), ...change, mirror: {kind: 'file', dir: '/dist'}})
  })
})
