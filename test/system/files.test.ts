import assert from 'node:assert/strict'
import {mkdtemp, readdir, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {sweepAtomicTemps, writeFileAtomic} from '../../src/system/files.js'

describe('system/files', () => {
  let dir: string
  beforeEach(async () => (dir = await mkdtemp(path.join(tmpdir(), 'tsez-files-'))))
  afterEach(() => rm(dir, {recursive: true, force: true}))

  it('writes through a temp file that is gone afterwards', async () => {
    await writeFileAtomic(path.join(dir, 'web1.json'), '{}\n')
    assert.deepEqual(await readdir(dir), ['web1.json'])
  })

  it('sweeps only the temp files a killed writeFileAtomic left behind', async () => {
    for (const name of [
      'create-k4.json.tmp-eb80c126a81e',
      'fstab.web1.tmp-0123456789ab',
      'fstab.web1',
      'notes.tmp-x',
      'a.tmp-0123456789abc',
    ]) {
      await writeFile(path.join(dir, name), '')
    }
    const removed = await sweepAtomicTemps(dir)
    assert.deepEqual(removed.map((p) => path.basename(p)).sort(), [
      'create-k4.json.tmp-eb80c126a81e',
      'fstab.web1.tmp-0123456789ab',
    ])
    assert.deepEqual((await readdir(dir)).sort(), ['a.tmp-0123456789abc', 'fstab.web1', 'notes.tmp-x'])
  })
})
