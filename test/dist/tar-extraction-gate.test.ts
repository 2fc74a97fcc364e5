// The extraction engine's entry gate: restore's archive checks, before anything of a member is made.
import assert from 'node:assert/strict'
import {readFileSync, readdirSync} from 'node:fs'
import {lstat, mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {Readable} from 'node:stream'

import {ArchiveRefusal, exactly, type MemberLayout} from '../../src/dist/archive-rules.js'
import {startExtraction} from '../../src/dist/tar-extraction.js'
import {OperationError} from '../../src/errors.js'
import {tarOf, validMembers, type Member} from '../hostile/archives.js'

const FILE = '/backups/web1.tsez.tar.xz'
const LAYOUT: MemberLayout = {
  kind: 'a tsez archive',
  meta: {shown: 'tsez-archive.json', pattern: exactly('tsez-archive.json')},
  small: ['jail.conf', 'fstab'],
  smallBytes: 1024 * 1024,
  tree: 'root',
}
const GATE = {file: FILE, layout: LAYOUT}
/** What validMembers leaves in the destination. */
const VALID_TREE = ['fstab', 'jail.conf', 'root', 'root/etc', 'tsez-archive.json']

/** Every path under DIR, relative, sorted (symlinks not followed). */
function listTree(dir: string, prefix = ''): string[] {
  return readdirSync(path.join(dir, prefix), {withFileTypes: true})
    .flatMap((entry) => {
      const rel = prefix ? `${prefix}/${entry.name}` : entry.name
      return entry.isDirectory() ? [rel, ...listTree(dir, rel)] : [rel]
    })
    .sort()
}

describe('dist/tar-extraction: the entry gate (restore checks)', function () {
  let dest: string
  let outside: string
  beforeEach(async function () {
    if (process.getuid?.() !== 0) this.skip() // extraction sets owners, as tsez does as root
    dest = await mkdtemp(path.join(tmpdir(), 'tsez-gate-'))
    outside = await mkdtemp(path.join(tmpdir(), 'tsez-gate-outside-'))
  })
  afterEach(async () => {
    await rm(dest, {recursive: true, force: true})
    await rm(outside, {recursive: true, force: true})
  })

  const extract = (tar: Buffer, gated = true) =>
    startExtraction(Readable.from([tar]), dest, gated ? {fifos: true, gate: GATE} : {fifos: true}).result
  const refusal = async (tar: Buffer): Promise<ArchiveRefusal> => {
    const error: unknown = await extract(tar).then(
      () => assert.fail('the archive was extracted'),
      (rejected: unknown) => rejected,
    )
    assert.ok(error instanceof ArchiveRefusal, `an ArchiveRefusal, not ${String(error)}`)
    return error
  }

  /** A refused member, what the refusal says, and what the destination holds after it (the members before it). */
  const refusedMembers: Array<{what: string; extra: () => Member[]; message: string; tree: string[]}> = [
    {
      what: 'a file outside root/',
      extra: () => [{path: 'etc/passwd', body: 'x'}],
      message: 'member "etc/passwd" lies outside root/',
      tree: [],
    },
    {
      what: 'a file beneath a symlink of the archive',
      extra: () => [
        {path: 'root/escape', type: 'SymbolicLink', linkpath: outside},
        {path: 'root/escape/deep/pwned', body: 'x'},
      ],
      message: 'member "root/escape/deep/pwned" lies beneath the symlink "root/escape"',
      tree: ['root/escape'],
    },
    {
      what: 'a file beneath a file of the archive',
      extra: () => [
        {path: 'root/etc/motd', body: 'hello'},
        {path: 'root/etc/motd/sub/file', body: 'x'},
      ],
      message: 'member "root/etc/motd/sub/file" lies beneath the non-directory "root/etc/motd"',
      tree: ['root/etc/motd'],
    },
    {
      what: 'a duplicate file (the first one kept as it was)',
      extra: () => [
        {path: 'root/etc/passwd', body: 'first'},
        {path: 'root/etc/passwd', body: 'second'},
      ],
      message: 'duplicate member "root/etc/passwd"',
      tree: ['root/etc/passwd'],
    },
    {
      what: 'a hard link to a file never met',
      extra: () => [{path: 'root/usr/pw', type: 'Link', linkpath: 'root/etc/master.passwd'}],
      message: 'hard link "root/usr/pw" points to "root/etc/master.passwd", not a file of root/ met before',
      tree: [],
    },
    {
      what: 'a device node deep in new directories',
      extra: () => [{path: 'root/new/dev/mem', type: 'CharacterDevice'}],
      message: 'member "root/new/dev/mem" is a device node',
      tree: [],
    },
    {
      what: 'a FIFO outside root/',
      extra: () => [{path: 'spool/pipe', type: 'FIFO'}],
      message: 'member "spool/pipe" lies outside root/ (a FIFO)',
      tree: [],
    },
  ]
  for (const c of refusedMembers) {
    it(`refuses ${c.what}, and nothing of it is made`, async () => {
      const error = await refusal(tarOf([...validMembers('{}'), ...c.extra(), {path: 'root/after', body: 'x'}]))
      assert.equal(error.message, `${FILE}: ${c.message}`)
      assert.equal(error.atEnd, false)
      assert.deepEqual(listTree(dest), [...VALID_TREE, ...c.tree].sort())
      assert.deepEqual(readdirSync(outside), [])
    })
  }

  it('keeps the first of duplicate files whole: the second is refused before it is opened', async () => {
    await refusal(tarOf([...validMembers('{}'), ...refusedMembers[3]!.extra()]))
    assert.equal(readFileSync(path.join(dest, 'root/etc/passwd'), 'utf8'), 'first')
  })

  it('refuses an archive whose first member is not the metadata, making nothing', async () => {
    const error = await refusal(tarOf([{path: 'root/', type: 'Directory'}, ...validMembers('{}')]))
    assert.equal(error.message, `${FILE}: its first member is "root/", not tsez-archive.json: not a tsez archive`)
    assert.deepEqual(listTree(dest), [])
  })

  it('a refusal wins over what fails after it: a truncated body, garbage, no end-of-archive marker', async () => {
    const refused: Member = {path: 'etc/passwd', body: 'x'}
    const truncated = tarOf([...validMembers('{}'), refused, {path: 'root/big', body: 'short', size: 1 << 20}], false)
    const garbage = Buffer.concat([tarOf([...validMembers('{}'), refused], false), Buffer.alloc(512, 'garbage')])
    for (const tar of [truncated, garbage]) {
      const error = await refusal(tar)
      assert.equal(error.message, `${FILE}: member "etc/passwd" lies outside root/`)
      assert.equal(error.atEnd, false)
      await rm(dest, {recursive: true, force: true})
      dest = await mkdtemp(path.join(tmpdir(), 'tsez-gate-'))
    }
  })

  it('refuses an incomplete archive after the whole stream (atEnd): no end-of-archive marker, no root/', async () => {
    const noMarker = await refusal(tarOf(validMembers('{}'), false))
    assert.equal(noMarker.message, `${FILE}: truncated archive (no end-of-archive marker)`)
    assert.equal(noMarker.atEnd, true)
    await rm(dest, {recursive: true, force: true})
    dest = await mkdtemp(path.join(tmpdir(), 'tsez-gate-'))
    const noRoot = await refusal(tarOf(validMembers('{}').slice(0, 3)))
    assert.equal(noRoot.message, `${FILE}: no root/ member: not a tsez archive`)
    assert.equal(noRoot.atEnd, true)
  })

  it('refuses input that is not a tar as a damaged archive', async () => {
    const error = await refusal(Buffer.alloc(2048, 'not a tar at all '))
    assert.match(error.message, new RegExp(`^${FILE}: damaged archive: `))
  })

  it('reports what its checks saw: the members under root/ and root/s times', async () => {
    const result = await extract(tarOf([...validMembers('{}'), {path: 'root/etc/motd', body: 'hi'}]))
    assert.equal(result.checked?.entries, 2)
    assert.equal(result.checked?.treeTimes?.mtime.getTime(), 1_700_000_000_000)
    assert.equal((await lstat(path.join(dest, 'root/etc/motd'))).isFile(), true)
  })

  it('without a gate (install) extracts what the gate refuses, and reports a truncated stream as before', async () => {
    const result = await extract(tarOf([...validMembers('{}'), {path: 'etc/passwd', body: 'x'}]), false)
    assert.equal(result.checked, undefined)
    assert.equal(readFileSync(path.join(dest, 'etc/passwd'), 'utf8'), 'x')
    await rm(dest, {recursive: true, force: true})
    dest = await mkdtemp(path.join(tmpdir(), 'tsez-gate-'))
    const error: unknown = await extract(tarOf(validMembers('{}'), false), false).catch((rejected: unknown) => rejected)
    assert.ok(error instanceof OperationError && !(error instanceof ArchiveRefusal))
    assert.equal(error.message, 'tar extraction failed: truncated archive (no end-of-archive marker)')
  })
})
