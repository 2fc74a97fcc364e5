// Tests for the dbdir journal helpers: listing PREFIX*.json sorted, reading back only whole, valid journals.
import assert from 'node:assert/strict'
import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {journalFilesIn, readJournalFile} from '../../src/jail/dbdir-journals.js'

interface Note {
  version: 1
  name: string
}

describe('dbdir journals', () => {
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'tsez-journals-'))
  })
  afterEach(async () => rm(dir, {recursive: true, force: true}))

  const isNote = (parsed: Partial<Note>) => parsed.version === 1 && typeof parsed.name === 'string'

  it('lists the PREFIX*.json files by path, sorted, and none of a missing directory', async () => {
    for (const file of ['note-b.json', 'note-a.json', 'note-c.json.tmp-1', 'other-a.json', 'note-d.txt']) {
      await writeFile(path.join(dir, file), '{}')
    }
    assert.deepEqual(await journalFilesIn(dir, 'note-'), [path.join(dir, 'note-a.json'), path.join(dir, 'note-b.json')])
    assert.deepEqual(await journalFilesIn(path.join(dir, 'missing'), 'note-'), [])
  })

  it('reads a whole journal; a missing, unparsable, null or foreign one is undefined', async () => {
    const file = path.join(dir, 'note-a.json')
    assert.equal(await readJournalFile<Note>(file, isNote), undefined)
    for (const text of ['{"version":1,"na', 'null', '{"version":2,"name":"a"}', '{"version":1}']) {
      await writeFile(file, text)
      assert.equal(await readJournalFile<Note>(file, isNote), undefined, text)
    }
    await writeFile(file, '{"version":1,"name":"a"}\n')
    assert.deepEqual(await readJournalFile<Note>(file, isNote), {version: 1, name: 'a'})
  })
})
