// One implementation of restore's checks: --dry-run's full read (inspectArchive) and the extraction worker's gate
// refuse the same archives with the same message, and agree on what a valid archive holds.
import assert from 'node:assert/strict'
import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {Readable} from 'node:stream'

import {startExtraction} from '../../src/dist/tar-extraction.js'
import {describeError} from '../../src/errors.js'
import {ARCHIVE_FORMAT_VERSION} from '../../src/jail/archive-format.js'
import {JAIL_RECORD_VERSION} from '../../src/jail/store.js'
import {openArchive} from '../../src/restore/archive-file.js'
import {TSEZ_LAYOUT, inspectArchive} from '../../src/restore/inspect.js'
import {createRunner} from '../../src/system/runner.js'
import {paxMember, tarOf, validMembers, writeArchive, xz, type Member} from '../hostile/archives.js'

const META = JSON.stringify({
  format: 'tsez-archive',
  version: ARCHIVE_FORMAT_VERSION,
  jail: {
    version: JAIL_RECORD_VERSION,
    name: 'web1',
    hostname: 'web1',
    root: '/usr/jails/web1',
    addresses: ['10.0.0.5'],
    flavours: [],
    run: true,
    depend: [],
    params: {},
    release: '14.3-RELEASE',
    created: '2026-01-01T00:00:00Z',
  },
  release: '14.3-RELEASE',
  arch: 'amd64/amd64',
  host: 'build.example.org',
  created: '2026-01-01T00:00:00Z',
  tsez: '0.1.0',
  compression: 'xz',
  entries: 2,
  bytes: 2,
})

const valid = (...extra: Member[]) => tarOf([...validMembers(META), ...extra])

const CASES: Array<{what: string; tar: Buffer}> = [
  {what: 'a valid archive', tar: valid({path: 'root/etc/motd', body: 'hi'})},
  {what: 'a random tar', tar: tarOf([{path: 'etc/', type: 'Directory'}])},
  {what: 'an oversized metadata member', tar: tarOf([{path: 'tsez-archive.json', body: ' '.repeat(1024 ** 2 + 1)}])},
  {what: 'a ../ member', tar: valid({path: 'root/../../evil', body: 'x'})},
  {what: 'an absolute member', tar: valid({path: '/etc/evil', body: 'x'})},
  {
    what: 'a file through a symlink',
    tar: valid({path: 'root/up', type: 'SymbolicLink', linkpath: '/etc'}, {path: 'root/up/rc.local', body: 'x'}),
  },
  {what: 'a hard link outside', tar: valid({path: 'root/pw', type: 'Link', linkpath: '/etc/master.passwd'})},
  {what: 'a hard link to nothing', tar: valid({path: 'root/pw', type: 'Link', linkpath: 'root/etc/nothing'})},
  {what: 'a device node', tar: valid({path: 'root/dev/mem', type: 'CharacterDevice'})},
  {what: 'a FIFO outside root/', tar: valid({path: 'pipe', type: 'FIFO'})},
  {what: 'jail.conf as a directory', tar: tarOf([validMembers(META)[0]!, {path: 'jail.conf/', type: 'Directory'}])},
  {what: 'a duplicate', tar: valid({path: 'root/a', body: '1'}, {path: 'root/a', body: '2'})},
  {what: 'a truncated body', tar: valid({path: 'root/big', body: 'short', size: 1 << 20}).subarray(0, 4096)},
  {what: 'no end-of-archive marker', tar: tarOf(validMembers(META), false)},
  {what: 'no root/ member', tar: tarOf(validMembers(META).slice(0, 3))},
  {what: 'garbage after the members', tar: Buffer.concat([tarOf(validMembers(META), false), Buffer.alloc(512, 'z')])},
  {
    what: 'file flags chflags does not know',
    tar: valid(paxMember('SCHILY.fflags', 'uarch,bogusflag'), {path: 'root/etc/x', body: 'x'}),
  },
]

describe('restore: --dry-run and the extraction gate apply the same checks', function () {
  let dir: string
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'tsez-checks-'))
  })
  after(async () => {
    await rm(dir, {recursive: true, force: true})
  })

  for (const [index, c] of CASES.entries()) {
    it(`${c.what}: the same outcome from both`, async function () {
      if (process.getuid?.() !== 0) this.skip() // the extraction sets owners, as tsez does as root
      this.timeout(30_000)
      const file = writeArchive(dir, `case-${index}.tsez.tar.xz`, xz(c.tar))
      const archive = await openArchive(file)
      const inspected = await inspectArchive(archive, createRunner())
        .then(({entries, treeTimes}) => ({entries, mtime: treeTimes?.mtime.getTime()}))
        .catch((error: unknown) => describeError(error))
        .finally(() => archive.handle.close())
      const dest = await mkdtemp(path.join(dir, 'dest-'))
      const gate = {file, layout: TSEZ_LAYOUT.members}
      const extracted = await startExtraction(Readable.from([c.tar]), dest, {fifos: true, gate})
        .result.then(({checked}) => ({entries: checked?.entries, mtime: checked?.treeTimes?.mtime.getTime()}))
        .catch((error: unknown) => describeError(error))
      assert.deepEqual(extracted, inspected)
      if (index === 0) assert.deepEqual(inspected, {entries: 2, mtime: 1_700_000_000_000})
      else
        assert.ok(
          typeof inspected === 'string' && inspected.startsWith(`${file}: `),
          `refused: ${JSON.stringify(extracted)}`,
        )
    })
  }
})
