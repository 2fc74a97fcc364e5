// extractTar against `bsdtar -xpf --numeric-owner` on a FreeBSD-like fixture, plus unsafe and broken archives.
import assert from 'node:assert/strict'
import {execFileSync, spawn} from 'node:child_process'
import {createReadStream, existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {chmod, chown, lchown, link, lutimes, mkdir, mkdtemp, symlink, utimes, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {Readable} from 'node:stream'

import {Header, Pax, type HeaderData} from 'tar'

import {extractTar, type ExtractResult} from '../../src/dist/extract.js'
import {clearImmutable, diffTrees, removeTree, snapshotTree} from '../support/tree.js'

const T = 1622550896 // 2021-06-01 12:34:56 UTC
const LONG_NAME = `${'n'.repeat(110)}-long-name`
const DEEP = `usr/share/deep/${Array.from({length: 6}, (_, i) => `level-${i}-${'d'.repeat(24)}`).join('/')}`
const LONG_TARGET = `/usr/local/share/${'t'.repeat(100)}/target`

/** The staged tree: [path, mode, uid, gid, what] where what is a dir, file content, or a symlink/hard link. */
type Node = [string, number, number, number, {dir: true} | {file: string} | {symlink: string} | {hardlink: string}]
const dir = {dir: true} as const
const STAGE: Node[] = [
  ['bin', 0o755, 0, 0, dir],
  ['bin/test', 0o555, 0, 0, {file: 'test binary'}],
  ['bin/[', 0, 0, 0, {hardlink: 'bin/test'}],
  ['dev', 0o555, 0, 0, dir],
  ['etc', 0o755, 0, 0, dir],
  ['etc/termcap', 0, 0, 0, {symlink: '/usr/share/misc/termcap'}],
  ['etc/motd', 0o664, 0, 0, {file: 'welcome\n'}],
  ['etc/shared', 0o666, 0, 0, {file: 'anyone\n'}],
  ['lib', 0o755, 0, 0, dir],
  ['rescue', 0o755, 0, 0, dir],
  ['rescue/rescue', 0o555, 0, 0, {file: 'crunched'}],
  ['rescue/sh', 0, 0, 0, {hardlink: 'rescue/rescue'}],
  ['rescue/ls', 0, 0, 0, {hardlink: 'rescue/rescue'}],
  ['rescue/cp', 0, 0, 0, {hardlink: 'rescue/rescue'}],
  ['sbin', 0o755, 0, 0, dir],
  ['tmp', 0o1777, 0, 0, dir],
  ['usr', 0o755, 0, 0, dir],
  ['usr/bin', 0o755, 0, 0, dir],
  ['usr/bin/su', 0o4555, 0, 0, {file: 'su'}],
  ['usr/bin/wall', 0o2555, 0, 4, {file: 'wall'}],
  ['usr/bin/both', 0o6555, 0, 2, {file: 'both'}],
  ['usr/bin/test-rel', 0, 0, 0, {symlink: '../../bin/test'}],
  ['usr/libexec', 0o755, 0, 0, dir],
  ['usr/libexec/uucico', 0o4510, 66, 66, {file: 'uucico'}],
  ['usr/lib', 0o755, 0, 0, dir],
  ['usr/lib/libfoo.so.1.0', 0o444, 0, 0, {file: 'ELF'}],
  ['usr/lib/libfoo.so.1', 0, 0, 0, {symlink: 'libfoo.so.1.0'}],
  ['usr/lib/libfoo.so', 0, 0, 0, {symlink: 'libfoo.so.1'}],
  ['usr/lib/abs-chain', 0, 25, 25, {symlink: '/usr/lib/libfoo.so'}],
  ['usr/share', 0o755, 0, 0, dir],
  ['usr/share/misc', 0o755, 0, 0, dir],
  ['usr/share/misc/termcap', 0o444, 0, 0, {file: 'vt100|...\n'.repeat(300)}],
  ['usr/share/ro', 0o555, 0, 0, dir],
  ['usr/share/ro/file', 0o444, 0, 0, {file: 'read only'}],
  ['usr/share/ro/sub', 0o755, 0, 0, dir],
  ['usr/share/ro/sub/deep', 0o644, 0, 0, {file: 'deep'}],
  ['usr/share/long', 0o755, 0, 0, dir],
  [`usr/share/long/${LONG_NAME}`, 0o644, 0, 0, {file: 'long'}],
  ['usr/share/long/short', 0, 0, 0, {hardlink: `usr/share/long/${LONG_NAME}`}],
  ['usr/share/long/first', 0o644, 0, 0, {file: 'short name first'}],
  [`usr/share/long/${LONG_NAME}-link`, 0, 0, 0, {hardlink: 'usr/share/long/first'}],
  ['usr/share/long/abs-long', 0, 0, 0, {symlink: LONG_TARGET}],
  ['usr/share/deep', 0o755, 0, 0, dir],
  ...DEEP.split('/')
    .slice(3)
    .map((_, i, all): Node => [`usr/share/deep/${all.slice(0, i + 1).join('/')}`, 0o755, 0, 0, dir]),
  [`${DEEP}/file`, 0o644, 0, 0, {file: 'x'.repeat(70_000)}],
  ['var', 0o755, 0, 0, dir],
  ['var/mail', 0o1777, 0, 6, dir],
  ['var/spool', 0o755, 0, 0, dir],
  ['var/spool/uucp', 0o775, 25, 25, dir],
  ['var/spool/uucp/.keep', 0o640, 25, 25, {file: ''}],
  ['var/empty', 0o555, 0, 0, dir],
]
/** Entries only the mtree spec can describe on Linux: file flags. Appended after the staged tree. */
const FLAGGED = [
  './bin/chflagsme type=file mode=0555 flags=schg',
  './sbin/init type=file mode=0500 flags=nodump',
  './usr/bin/chpass type=file mode=4555 flags=schg',
  './lib/libc.so.7 type=file mode=0444 flags=schg',
  './var/empty2 type=dir mode=0555 flags=schg',
]
const EXPECTED_FLAGS = [
  {path: 'bin/chflagsme', flags: 'schg'},
  {path: 'sbin/init', flags: 'nodump'},
  {path: 'usr/bin/chpass', flags: 'schg'},
  {path: 'lib/libc.so.7', flags: 'schg'},
  {path: 'var/empty2', flags: 'schg'},
]

/** Builds the fixture tar (and a multi-block .txz of it) with bsdtar from a staged tree plus an mtree spec. */
async function buildFixture(work: string): Promise<string> {
  const stage = path.join(work, 'stage')
  await mkdir(stage)
  for (const [rel, mode, uid, gid, what] of STAGE) {
    const abs = path.join(stage, rel)
    if ('dir' in what) await mkdir(abs, {mode})
    if ('file' in what) await writeFile(abs, what.file, {mode})
    if ('symlink' in what) await symlink(what.symlink, abs)
    if ('hardlink' in what) await link(path.join(stage, what.hardlink), abs)
    if ('symlink' in what) await lchown(abs, uid, gid)
    if ('dir' in what || 'file' in what) await chown(abs, uid, gid).then(() => chmod(abs, mode)) // exact, no umask
  }
  execFileSync('mknod', [path.join(stage, 'dev/null'), 'c', '1', '3'])
  execFileSync('mkfifo', [path.join(stage, 'dev/fifo')])
  // mtimes deepest first, so creating children does not disturb them; symlinks get their own
  for (const [rel, , , , what] of [...STAGE].reverse()) {
    const set = 'symlink' in what ? lutimes : utimes
    await set(path.join(stage, rel), T - 3600, 'dir' in what ? T + rel.length : T)
  }
  await utimes(stage, T, T - 86400)
  const contents = path.join(work, 'flagged-content')
  writeFileSync(contents, 'flagged')
  const spec = path.join(work, 'flags.mtree')
  const lines = FLAGGED.map(
    (line) => `${line} uid=0 gid=0 time=${T}.0${line.includes('=file') ? ` contents=${contents}` : ''}`,
  )
  writeFileSync(spec, `#mtree\n${lines.join('\n')}\n`)
  const tar = path.join(work, 'fixture.tar')
  const list = path.join(work, 'list') // the STAGE order, so the first of each hard link group carries the data
  writeFileSync(list, ['.', ...STAGE.map(([rel]) => `./${rel}`), './dev/null', './dev/fifo'].join('\n'))
  execFileSync('bsdtar', ['-cf', tar, '-C', stage, '-n', '-T', list, `@${spec}`])
  execFileSync('xz', ['-k', '-T2', '--block-size=4KiB', tar])
  return tar
}

/** A hand-made ustar stream (pax headers where needed) for archives bsdtar would refuse to write. */
interface Raw {
  path: string
  type?: HeaderData['type']
  linkpath?: string
  body?: string
  mode?: number
}
function rawTar(entries: Raw[], {end = true} = {}): Buffer {
  const blocks: Buffer[] = []
  for (const {path: entryPath, type = 'File', linkpath, body = '', mode = 0o644} of entries) {
    const data = {
      path: entryPath,
      type,
      linkpath,
      size: body.length,
      mode,
      uid: 0,
      gid: 0,
      mtime: new Date(T * 1000),
    }
    const header = new Header(data)
    if (header.encode()) blocks.push(new Pax(data).encode())
    blocks.push(header.block ?? Buffer.alloc(0), Buffer.from(body), Buffer.alloc((512 - (body.length % 512)) % 512))
  }
  if (end) blocks.push(Buffer.alloc(1024))
  return Buffer.concat(blocks)
}

describe('dist/extract', function () {
  let work: string
  let fixture: string
  let reference: Awaited<ReturnType<typeof snapshotTree>>
  const skipDevices = (rel: string) => rel === 'dev/null' || rel === 'dev/fifo'

  before(async function () {
    if (process.getuid?.() !== 0) this.skip() // owners, setuid bits and mknod need root, as tsez does
    work = await mkdtemp(path.join(tmpdir(), 'tsez-extract-'))
    fixture = await buildFixture(work)
    const ref = path.join(work, 'reference')
    mkdirSync(ref)
    execFileSync('bsdtar', ['-xpf', fixture, '--numeric-owner', '-C', ref])
    reference = await snapshotTree(ref, {exclude: skipDevices})
    await clearImmutable(ref) // bsdtar turns schg into the ext4 immutable attribute
  })
  after(async () => {
    if (work) await removeTree(work)
  })

  let dest: string
  let outside: string
  beforeEach(async function () {
    if (process.getuid?.() !== 0) this.skip()
    dest = await mkdtemp(path.join(work, 'dest-'))
    outside = await mkdtemp(path.join(work, 'outside-'))
  })

  const expectFixture = async (result: ExtractResult) => {
    // the destination's mtime is when the last top-level entry was made, with either tool
    const differences = diffTrees(reference, await snapshotTree(dest, {exclude: skipDevices}), {ignoreMtimeOf: ['.']})
    assert.deepEqual(differences, [])
    assert.deepEqual(result.flags, EXPECTED_FLAGS)
    assert.deepEqual(result.skipped, ['dev/null', 'dev/fifo'])
    const listed = execFileSync('bsdtar', ['-tf', fixture], {encoding: 'utf8'}).trim().split('\n').length
    assert.equal(result.entries, listed)
  }

  it('matches bsdtar -xpf --numeric-owner: modes, owners, mtimes, links, long names; reports fflags', async () => {
    const progress: number[] = []
    const result = await extractTar(createReadStream(fixture), dest, {onProgress: (p) => progress.push(p.entries)})
    await expectFixture(result)
    assert.equal(progress.at(-1), result.entries, 'the last progress report has the totals')
  })

  it('streams from xz -dc -T0 (a multi-block .txz), its chunks moved to the worker (ownChunks)', async () => {
    const xz = spawn('xz', ['-dc', '-T0', `${fixture}.xz`], {stdio: ['ignore', 'pipe', 'inherit']})
    const exited = new Promise((resolve) => xz.on('close', resolve))
    const chunks: Buffer[] = []
    xz.stdout.on('data', (chunk: Buffer) => chunks.push(chunk))
    await expectFixture(await extractTar(xz.stdout, dest, {ownChunks: true}))
    const moved = chunks.filter((chunk) => chunk.buffer.byteLength === 0)
    assert.ok(moved.length > 0, 'chunks are moved to the worker (their buffers detached), not copied')
    assert.equal(await exited, 0)
  })

  it('extracts a second set over the first like a second bsdtar run (over: the first tree)', async () => {
    const second = path.join(work, 'second.tar')
    const dirs = ['./', './usr/', './usr/lib32/', './var/empty/'].map((name): Raw => ({path: name, type: 'Directory'}))
    writeFileSync(second, rawTar([...dirs.map((d) => ({...d, mode: 0o555})), {path: './usr/lib32/libc.so.7'}]))
    const ref = await fresh()
    for (const tar of [fixture, second]) execFileSync('bsdtar', ['-xpf', tar, '--numeric-owner', '-C', ref])
    const expected = await snapshotTree(ref, {exclude: skipDevices})
    await clearImmutable(ref)
    const first = await extractTar(createReadStream(fixture), dest)
    const next = await extractTar(createReadStream(second), dest, {over: first.tree})
    // usr gets usr/lib32 after its entry: its mtime is "now"; '.' and var/empty keep the second set's
    const actual = await snapshotTree(dest, {exclude: skipDevices})
    assert.deepEqual(diffTrees(expected, actual, {ignoreMtimeOf: ['usr']}), [])
    const again = extractTar(createReadStream(second), dest, {over: next.tree})
    await assert.rejects(again, /duplicate entry: usr\/lib32\/libc\.so\.7 was already extracted as a file/)
  })

  const fresh = () => mkdtemp(path.join(work, 'dest-'))
  const rejects = async (archive: Buffer, pattern: RegExp, into = dest) => {
    await assert.rejects(extractTar(Readable.from([archive]), into), pattern)
  }

  it('refuses ../ paths, and writes nothing outside the destination', async () => {
    const escape = path.relative(dest, path.join(outside, 'escape'))
    await rejects(
      rawTar([
        {path: 'ok', body: 'ok'},
        {path: escape, body: 'pwned'},
      ]),
      /unsafe path in archive: \.\.\//,
    )
    assert.equal(existsSync(path.join(outside, 'escape')), false)
  })

  it('stops its producer on a bad entry: the input is destroyed though it never ended', async () => {
    const bad = rawTar(
      [
        {path: 'ok', body: 'ok'},
        {path: '../escape', body: 'pwned'},
      ],
      {end: false},
    )
    const input = new Readable({read() {}}) // the bad entry, then nothing: only the failure can settle it
    input.push(bad)
    await assert.rejects(extractTar(input, dest), /unsafe path in archive: \.\.\/escape/)
    assert.equal(input.destroyed, true, 'the input (xz -dc in an install) is destroyed')
  })

  it('refuses absolute paths', async () => {
    const target = path.join(outside, 'abs')
    await rejects(rawTar([{path: target, body: 'pwned'}]), /unsafe path in archive: \//)
    assert.equal(existsSync(target), false)
  })

  it('refuses to write beneath a symlink of the archive (a/link -> outside, then a/link/pwned)', async () => {
    const archive = rawTar([
      {path: 'a/', type: 'Directory'},
      {path: 'a/link', type: 'SymbolicLink', linkpath: outside},
      {path: 'a/link/pwned', body: 'pwned'},
    ])
    await rejects(archive, /refusing to extract a\/link\/pwned beneath the symlink a\/link/)
    assert.equal(existsSync(path.join(outside, 'pwned')), false)
  })

  it('refuses hard links to outside paths and to symlinks', async () => {
    await rejects(rawTar([{path: 'passwd', type: 'Link', linkpath: '/etc/passwd'}]), /unsafe path/)
    await rejects(
      rawTar([
        {path: 'link', type: 'SymbolicLink', linkpath: '/etc/passwd'},
        {path: 'hard', type: 'Link', linkpath: 'link'},
      ]),
      /hard link target link is not a regular file/,
      await fresh(),
    )
  })

  it('rejects a stream cut in the middle of a file body', async () => {
    const whole = readFileSync(fixture)
    const offset = whole.indexOf('x'.repeat(1024)) // the 70 kB file under DEEP
    await rejects(whole.subarray(0, offset + 30_000), /TAR_BAD_ARCHIVE: Truncated input/)
  })

  it('rejects a stream cut between entries (no end-of-archive marker)', async () => {
    await rejects(rawTar([{path: 'a', body: 'a'}, {path: 'b'}], {end: false}), /truncated archive/)
  })

  it('rejects unsupported entry types and input that is not a tar', async () => {
    await rejects(rawTar([{path: 'ok'}, {path: 'sparse', type: 'SparseFile'}]), /unsupported entry type SparseFile/)
    await rejects(Buffer.from('not a tar file at all\n'.repeat(100)), /TAR_/, await fresh())
  })

  it('rejects when the filesystem refuses a write midway (ENAMETOOLONG), never resolving', async () => {
    const archive = rawTar([{path: 'first', body: 'ok'}, {path: 'n'.repeat(300), body: 'too long'}, {path: 'last'}])
    await rejects(archive, /at n{300}: ENAMETOOLONG/)
    assert.equal(existsSync(path.join(dest, 'last')), false, 'nothing after the failed entry')
  })

  it('rejects when the destination is immutable (EPERM)', async function () {
    try {
      execFileSync('chattr', ['+i', dest], {stdio: 'ignore'})
    } catch {
      this.skip() // no immutable attribute on this filesystem
    }
    try {
      await rejects(rawTar([{path: 'file', body: 'x'}]), /EPERM/)
    } finally {
      execFileSync('chattr', ['-i', dest])
    }
  })

  it('refuses a destination that is not empty, and stops on abort', async () => {
    writeFileSync(path.join(dest, 'stale'), '')
    await rejects(rawTar([{path: 'a'}]), /is not empty/)
    const empty = await fresh()
    const controller = new AbortController()
    const input = new Readable({read() {}}) // never ends: only the abort can settle the extraction
    const extraction = extractTar(input, empty, {signal: controller.signal})
    controller.abort()
    await assert.rejects(extraction, {name: 'AbortError'})
    assert.equal(input.destroyed, true, 'the input is destroyed')
  })
})
