// One implementation of restore's checks: --dry-run's full read (inspectArchive) and the extraction worker's gate
// refuse the same archives with the same message, and agree on what a valid archive holds.
import assert from 'node:assert/strict'
import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {randomBytes} from 'node:crypto'
import path from 'node:path'
import {Readable} from 'node:stream'

import {startExtraction} from '../../src/dist/tar-extraction.js'
import {describeError} from '../../src/errors.js'
import {ARCHIVE_FORMAT_VERSION} from '../../src/jail/archive-format.js'
import {JAIL_RECORD_VERSION} from '../../src/jail/store.js'
import {openArchive, tarStreamOf} from '../../src/restore/archive-file.js'
import {TSEZ_LAYOUT, inspectArchive, readMetaAhead} from '../../src/restore/inspect.js'
import {createRunner, type CommandRunner} from '../../src/system/runner.js'
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

function exists(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

describe('restore: the metadata read ahead of the extraction, from the stream it extracts', function () {
  this.timeout(30_000)
  let dir: string
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'tsez-ahead-'))
  })
  after(async () => {
    await rm(dir, {recursive: true, force: true})
  })

  it('reads the metadata from the first chunks and gives the whole stream, from its first byte, to the extraction', async () => {
    // Several MiB after the metadata: many chunks of the decompressor's output, most not yet read when it returns.
    const tar = valid({path: 'root/big', body: randomBytes(6 * 1024 ** 2).toString('base64')})
    const archive = await openArchive(writeArchive(dir, 'ahead.tsez.tar.xz', xz(tar)))
    const stream = tarStreamOf(archive, createRunner())
    try {
      const ahead = await readMetaAhead(stream, archive.file, TSEZ_LAYOUT)
      assert.equal(ahead.meta.jail.name, 'web1')
      assert.equal(ahead.meta.host, 'build.example.org')
      const chunks: Buffer[] = []
      for await (const chunk of ahead.bytes) chunks.push(chunk)
      assert.ok(chunks.length > 2, `${chunks.length} chunks`)
      assert.ok(Buffer.concat(chunks).equals(tar), 'the extraction reads every byte of the tar stream, in order')
      await stream.done
    } finally {
      stream.kill()
      await archive.handle.close()
    }
  })

  it('loses nothing of a small archive whose decompressor exited before anything was read', async () => {
    const tar = valid({path: 'root/etc/motd', body: 'hi'})
    const archive = await openArchive(writeArchive(dir, 'small.tsez.tar.xz', xz(tar)))
    const runner = createRunner()
    let pid = 0
    const watched = {
      ...runner,
      stream: (...[file, args, options]: Parameters<CommandRunner['stream']>) =>
        runner.stream(file, args, {...options, onSpawn: (spawned) => (pid = spawned)}),
    }
    const stream = tarStreamOf(archive, watched)
    assert.ok(pid > 0, 'the decompressor was spawned')
    try {
      // Reaped (kill(pid, 0) fails), so Node.js has handled its exit, and then a while more.
      while (exists(pid)) await new Promise((resolve) => setTimeout(resolve, 10))
      await new Promise((resolve) => setTimeout(resolve, 50))
      const ahead = await readMetaAhead(stream, archive.file, TSEZ_LAYOUT)
      const chunks: Buffer[] = []
      for await (const chunk of ahead.bytes) chunks.push(chunk)
      assert.ok(Buffer.concat(chunks).equals(tar))
    } finally {
      await archive.handle.close()
    }
  })

  const refused = [
    CASES[1]!,
    CASES[2]!,
    {what: 'an archive cut inside its metadata', tar: valid().subarray(0, 600)},
    {what: 'an empty tar stream', tar: Buffer.alloc(0)},
  ]
  for (const [index, c] of refused.entries()) {
    it(`${c.what}: refused as --dry-run refuses it`, async () => {
      const file = writeArchive(dir, `refused-${index}.tsez.tar.xz`, xz(c.tar))
      const archive = await openArchive(file)
      const stream = tarStreamOf(archive, createRunner())
      try {
        const inspected = await inspectArchive(archive, createRunner()).catch((error: unknown) => describeError(error))
        const ahead = await readMetaAhead(stream, file, TSEZ_LAYOUT).then(
          ({meta}) => meta.jail.name,
          (error: unknown) => describeError(error),
        )
        assert.ok(ahead.startsWith(`${file}: `), ahead)
        assert.equal(ahead, inspected)
      } finally {
        stream.kill()
        await stream.done.catch(() => undefined)
        await archive.handle.close()
      }
    })
  }
})
