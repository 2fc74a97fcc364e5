// `tsez restore` of hostile or broken archives: exit 2, one line, nothing on disk changed, no staging or temp left.
import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {packageRoot, spawnNode, tsez} from '../support/cli.js'
import {paxMember, tarOf, validMembers, writeArchive, xz, type Member} from './archives.js'
import {useHostileHost} from './support.js'

const GATE = path.join(packageRoot, 'test/hostile/lock-gate.ts')

/** TEXT's bytes (each char below U+0100 one byte, as latin1) in hex: a TSEZ.rawpath value. */
const hex = (text: string) => Buffer.from(text, 'latin1').toString('hex')

interface Case {
  what: string
  /** Writes the archive (and its .sha256) into DIR; returns its path. */
  make: (dir: string) => string
  message: RegExp
  /** Extra restore arguments (default: another name and a free address, so only the archive is at fault). */
  args?: string[]
}

describe('hostile: tsez restore of hostile and broken archives', () => {
  const hostile = useHostileHost()
  const dir = mkdtempSync(path.join(tmpdir(), 'tsez-hostile-archives-'))
  after(() => rmSync(dir, {recursive: true, force: true}))
  let real = ''
  let meta = ''
  before(async function () {
    this.timeout(60_000)
    const made = path.join(dir, 'real')
    mkdirSync(made)
    await hostile.ok(['archive', '-d', made, 'web1'])
    const name = readdirSync(made).find((file) => file.endsWith('.xz')) ?? ''
    real = path.join(made, name)
    meta = execFileSync('bsdtar', ['-xOf', real, 'tsez-archive.json'], {encoding: 'utf8'})
  })

  const metaWith = (change: (m: Record<string, unknown>) => void) => {
    const parsed = JSON.parse(meta) as Record<string, unknown>
    change(parsed)
    return JSON.stringify(parsed)
  }
  /** A valid archive's members with EXTRA after them, xz'd, with a true .sha256. */
  const crafted =
    (extra: Member[], metaText?: () => string) =>
    (d: string): string =>
      writeArchive(d, 'crafted.tsez.tar.xz', xz(tarOf([...validMembers(metaText?.() ?? meta), ...extra])))
  const raw = (bytes: Buffer) => (d: string) => writeArchive(d, 'raw.tsez.tar.xz', bytes)
  const jail = (m: Record<string, unknown>) => m.jail as Record<string, unknown>

  const cases: Case[] = [
    {
      what: 'a wrong checksum',
      make: (d) => writeArchive(d, 'sum.tsez.tar.xz', readFileSync(real), '0'.repeat(64)),
      message: /checksum mismatch/,
    },
    {
      what: 'no .sha256 beside it',
      make: (d) => {
        const file = writeArchive(d, 'nosum.tsez.tar.xz', readFileSync(real))
        rmSync(`${file}.sha256`)
        return file
      },
      message: /sha256 is missing .*--no-verify/,
    },
    {
      what: 'a truncated archive',
      make: (d) => raw(readFileSync(real).subarray(0, 3000))(d),
      message: /damaged archive/,
    },
    {what: 'an empty file', make: raw(Buffer.alloc(0)), message: /is empty/},
    {what: 'random bytes', make: raw(Buffer.from('MZ this is no archive at all'.repeat(40))), message: /neither xz/},
    {
      what: 'a gzipped tsez tar (gzip is read as an ezjail archive)',
      make: (d) => raw(execFileSync('gzip', ['-c'], {input: tarOf(validMembers(meta))}))(d),
      message: /first member is "tsez-archive\.json", not prop\.ezjail-.*: not an ezjail archive/,
    },
    {
      what: 'a random tar',
      make: raw(
        xz(
          tarOf([
            {path: 'etc/', type: 'Directory'},
            {path: 'etc/passwd', body: 'root:*:0:0\n'},
          ]),
        ),
      ),
      message: /first member is "etc\/?", not tsez-archive\.json/,
    },
    {
      what: 'a Bastille export',
      make: raw(
        xz(
          tarOf([
            {path: 'web1/', type: 'Directory'},
            {path: 'web1/jail.conf', body: 'web1 {}\n'},
          ]),
        ),
      ),
      message: /not tsez-archive\.json: not a tsez archive/,
    },
    {
      what: 'an unknown format version',
      make: crafted([], () => metaWith((m) => (m.version = 2))),
      message: /archive format version "2" is not one this tsez reads/,
    },
    {what: 'malformed metadata', make: crafted([], () => '{"format": "tsez-archive", '), message: /is not valid JSON/},
    {
      what: 'metadata without a jail record',
      make: crafted([], () => metaWith((m) => delete m.jail)),
      message: /holds no valid jail record/,
    },
    {
      what: 'a metadata member of 2 MB',
      make: crafted([], () => meta + ' '.repeat(2 * 1024 * 1024)),
      message: /tsez-archive\.json is \d+ bytes: not a tsez archive/,
    },
    {what: 'a ../ member', make: crafted([{path: 'root/../../evil', body: 'x'}]), message: /unsafe member name/},
    {
      what: 'file flags chflags does not know (refused before anything is extracted, not by chflags at the end)',
      make: crafted([paxMember('SCHILY.fflags', 'schg,bogusflag'), {path: 'root/etc/x', body: 'x'}]),
      message: /member "root\/etc\/x" carries file flags chflags does not know \("schg,bogusflag"\)/,
    },
    {what: 'an absolute member', make: crafted([{path: '/etc/evil', body: 'x'}]), message: /unsafe member name/},
    {
      what: 'a raw name record (TSEZ.rawpath) naming ../ under an innocent name',
      make: crafted([paxMember('TSEZ.rawpath', hex('root/../../evil\xff')), {path: 'root/etc/fine', body: 'x'}]),
      message: /unsafe member name "root\/\.\.\/\.\.\/evil\\udcff"/,
    },
    {
      what: 'a raw name record naming an absolute path',
      make: crafted([paxMember('TSEZ.rawpath', hex('/etc/evil\xff')), {path: 'root/etc/fine', body: 'x'}]),
      message: /unsafe member name "\/etc\/evil\\udcff"/,
    },
    {
      what: 'a hard link whose raw target record (TSEZ.rawlinkpath) leaves the tree',
      make: crafted([
        paxMember('TSEZ.rawlinkpath', hex('/etc/master.passwd')),
        {path: 'root/etc/pw', type: 'Link', linkpath: 'root/etc/fine'},
      ]),
      message: /hard link "root\/etc\/pw" points to the unsafe name "\/etc\/master\.passwd"/,
    },
    {
      what: 'a raw name record that is not hex',
      make: crafted([paxMember('TSEZ.rawpath', 'zz'), {path: 'root/etc/fine', body: 'x'}]),
      message: /damaged archive.*TSEZ\.rawpath record is not hex bytes/,
    },
    {
      what: 'a symlink then a file through it',
      make: crafted([
        {path: 'root/escape', type: 'SymbolicLink', linkpath: '/etc'},
        {path: 'root/escape/master.passwd', body: 'toor::0:0::0:0:x:/root:/bin/sh\n'},
      ]),
      message: /beneath the symlink "root\/escape"/,
    },
    {
      what: 'a relative symlink climbing out, then a file through it',
      make: crafted([
        {path: 'root/up', type: 'SymbolicLink', linkpath: '../../../..'},
        {path: 'root/up/etc/rc.local', body: 'evil\n'},
      ]),
      message: /beneath the symlink/,
    },
    {
      what: 'a hard link to /etc/master.passwd',
      make: crafted([{path: 'root/pw', type: 'Link', linkpath: '/etc/master.passwd'}]),
      message: /hard link "root\/pw" points to the unsafe name/,
    },
    {
      what: 'a hard link climbing out',
      make: crafted([{path: 'root/pw', type: 'Link', linkpath: 'root/../../etc/master.passwd'}]),
      message: /unsafe name/,
    },
    {
      what: 'a hard link to a file the archive never had',
      make: crafted([{path: 'root/pw', type: 'Link', linkpath: 'root/etc/master.passwd'}]),
      message: /not a file of root\/ met before/,
    },
    {
      what: 'a character device',
      make: crafted([{path: 'root/dev/mem', type: 'CharacterDevice'}]),
      message: /"root\/dev\/mem" is a device node/,
    },
    {what: 'a block device', make: crafted([{path: 'root/disk', type: 'BlockDevice'}]), message: /device node/},
    {
      what: 'a FIFO outside root/',
      make: crafted([{path: 'pipe', type: 'FIFO'}]),
      message: /"pipe" lies outside root\/ \(a FIFO\)/,
    },
    {what: 'a member outside root/', make: crafted([{path: 'etc/passwd', body: 'x'}]), message: /lies outside root\//},
    {
      what: 'a huge declared size',
      make: crafted([{path: 'root/big', body: 'only this', size: 10 * 1024 ** 3}]),
      message: /damaged archive|truncated/,
    },
    {
      what: 'a member it refuses, then a damaged stream (xz cut short): the refusal, not the damage',
      make: (d) => {
        const noise = randomBytes(2 * 1024 * 1024)
        const members = [...validMembers(meta), {path: 'etc/passwd', body: 'x'}, {path: 'root/noise', body: noise}]
        const bytes = xz(tarOf(members))
        return writeArchive(d, 'cut.tsez.tar.xz', bytes.subarray(0, bytes.length - 512 * 1024))
      },
      message: /: member "etc\/passwd" lies outside root\/\n/,
    },
    {
      what: 'no end-of-archive marker',
      make: (d) => writeArchive(d, 'noend.tsez.tar.xz', xz(tarOf(validMembers(meta), false))),
      message: /truncated archive/,
    },
    {
      what: 'no root/ member',
      make: (d) => writeArchive(d, 'noroot.tsez.tar.xz', xz(tarOf(validMembers(meta).slice(0, 3)))),
      message: /no root\/ member/,
    },
    {
      what: 'a duplicate member',
      make: crafted([
        {path: 'root/etc/passwd', body: 'a'},
        {path: 'root/etc/passwd', body: 'b'},
      ]),
      message: /duplicate member "root\/etc\/passwd"/,
    },
    {
      what: 'a jail name that is shell syntax',
      make: crafted([], () => metaWith((m) => (jail(m).hostname = '$(touch /tmp/pwned)'))),
      message: /jail name .* contains/,
      args: ['--ip', '10.9.9.9'],
    },
    {
      what: 'an escape sequence in the metadata (host, created), shown to the terminal',
      make: crafted([], () => metaWith((m) => (m.host = 'evil\u001b[2J\u001b]0;owned\u0007host'))),
      message: /has a host that is not one line of plain text/,
    },
    {
      what: 'a flavour name with an escape or a /',
      make: crafted([], () => metaWith((m) => (jail(m).flavours = ['fl\u001b[7mav', '../x']))),
      message: /holds no valid jail record \(a flavour is not a plain name\)/,
    },
    {
      what: 'another release',
      make: crafted([], () => metaWith((m) => (m.release = '13.2-RELEASE'))),
      message: /ran "13\.2-RELEASE", the basejail here is 14\.3-RELEASE.*--force-release/,
    },
    {what: 'a name in use', make: () => real, message: /jail web1|web1 .*exists/, args: ['--ip', '10.9.9.9']},
    {
      what: 'an address in use',
      make: () => real,
      message: /address 10\.0\.0\.5 is in use by jail web1/,
      args: ['--name', 'ghost'],
    },
    {what: 'a directory', make: (d) => d, message: /is not a regular file/},
  ]

  for (const [index, c] of cases.entries()) {
    it(`refuses ${c.what}`, async function () {
      this.timeout(60_000)
      const caseDir = path.join(dir, `case-${index}`)
      mkdirSync(caseDir)
      const file = c.make(caseDir)
      await hostile.refuses(['restore', ...(c.args ?? ['--name', 'ghost', '--ip', '10.9.9.9']), file], {
        exit: 2,
        message: c.message,
      })
    })
  }

  it('restores the bytes it summed when the archive is replaced after its checksum matched, before its extraction', async function () {
    this.timeout(60_000)
    const {host} = hostile
    const caseDir = path.join(dir, 'swapped')
    mkdirSync(caseDir)
    const file = writeArchive(caseDir, 'swap.tsez.tar.xz', readFileSync(real))
    // Paused under the host lock at its first change of the jail directory: summed, planned, not yet extracted.
    const gate = path.join(caseDir, 'gate')
    const {dirs} = host
    const under = [dirs.confdir, dirs.jailconf, dirs.fstab, dirs.jaildir].join(':')
    const argv = ['--import', 'tsx', '--import', GATE, path.join(packageRoot, 'bin/dev.js')]
    const restore = ['restore', '--name', 'swapped', '--ip', '10.9.9.8', file]
    const env = {...host.env, NODE_ENV: 'development', TSEZ_TEST_GATE: gate, TSEZ_TEST_GATE_UNDER: under}
    const {child, done} = spawnNode([...argv, ...restore], env)
    try {
      let seen = ''
      const paused = await new Promise<boolean>((resolve) => {
        child.stderr.on('data', (chunk: string) => (seen += chunk).includes('lock-gate: paused') && resolve(true))
        void done.then(() => resolve(false))
      })
      assert.ok(paused, `the restore never paused: ${seen}`)
      // Another file under the same name, not an archive at all: read, it would be refused (exit 2).
      writeFileSync(path.join(caseDir, 'other'), 'not an archive\n'.repeat(1000))
      renameSync(path.join(caseDir, 'other'), file)
    } finally {
      writeFileSync(gate, '') // never leave it paused
    }
    const result = await done
    rmSync(gate)
    // The decompressor opened the archive before the sum, as the sum's own descriptor did: the file summed.
    assert.equal(result.exitCode, 0, result.stderr)
    const listed = await tsez(['list', '--json'], host.env)
    assert.equal(listed.exitCode, 0, listed.stderr)
    const names = (JSON.parse(listed.stdout) as {jails: Array<{name: string}>}).jails.map((jail) => jail.name)
    assert.ok(names.includes('swapped'), names.join(' '))
    const etc = (jail: string) => readdirSync(path.join(dirs.jaildir, jail, 'etc')).sort()
    assert.deepEqual(etc('swapped'), etc('web1'), "the archived jail's tree, restored")
  })

  it('restores the genuine archive under another name (the suite is not refusing everything)', async function () {
    this.timeout(60_000)
    await hostile.ok(['restore', '--name', 'ghost', '--ip', '10.9.9.9', real])
  })
})
