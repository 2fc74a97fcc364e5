import assert from 'node:assert/strict'
import {execFile} from 'node:child_process'
import {chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {promisify} from 'node:util'

import type {ArchiveResult} from '../../src/archive/service.js'
import {tsez} from '../support/cli.js'
import {createInstalledHost, type InstalledHost} from '../support/installed-host.js'

const exec = promisify(execFile)
const isRoot = process.getuid?.() === 0

describe('tsez archive', () => {
  let host: InstalledHost
  let archives: string
  before(async function () {
    if (!isRoot) this.skip()
    this.timeout(120_000)
    host = await createInstalledHost()
    archives = path.join(host.dirs.jaildir, 'tsez_archives')
    for (const [name, ip] of [
      ['web1', '10.0.0.5'],
      ['web2', '10.0.0.6'],
    ]) {
      const created = await tsez(['create', name ?? '', ip ?? ''], host.env)
      assert.equal(created.exitCode, 0, created.stderr)
    }
  })
  after(async () => host?.cleanup())

  const members = async (file: string) => (await exec('bsdtar', ['-tf', file])).stdout.split('\n').filter(Boolean)

  it('writes NAME-STAMP.tsez.tar.xz and a sha256sum file; metadata first, nothing mounted under the root', async () => {
    const root = path.join(host.dirs.jaildir, 'web1')
    // Something mounted inside the jail (the fake mount keeps a table): its content never goes into the archive.
    await mkdir(path.join(root, 'mnt/data'), {recursive: true})
    await writeFile(path.join(root, 'mnt/data/secret'), 'not the jail\n')
    await exec('mount', ['-t', 'nullfs', '/srv', path.join(root, 'mnt/data')], {env: host.env})
    await writeFile(path.join(root, 'basejail/should-not-be-there'), 'x')
    await exec('mount', ['-t', 'nullfs', host.dirs.basejail, path.join(root, 'basejail')], {env: host.env})

    const result = await tsez(['archive', '--json', 'web1'], host.env)
    assert.equal(result.exitCode, 0, result.stderr)
    const parsed = JSON.parse(result.stdout) as ArchiveResult
    const file = parsed.jails[0]?.file ?? ''
    assert.match(path.basename(file), /^web1-\d{8}T\d{6}Z\.tsez\.tar\.xz$/)
    assert.equal(path.dirname(file), archives)
    const names = await members(file)
    assert.deepEqual(names.slice(0, 4), ['tsez-archive.json', 'jail.conf', 'fstab', 'root/'])
    assert.ok(names.includes('root/etc/'))
    assert.ok(names.includes('root/mnt/data/'), 'the mount point stays, empty')
    assert.ok(!names.includes('root/mnt/data/secret'))
    assert.ok(names.includes('root/basejail/'))
    assert.ok(!names.some((name) => name.startsWith('root/basejail/') && name !== 'root/basejail/'))
    const check = await exec('sha256sum', ['-c', `${path.basename(file)}.sha256`], {cwd: archives})
    assert.match(check.stdout, /: OK/)
    const meta = JSON.parse((await exec('bsdtar', ['-xOf', file, 'tsez-archive.json'])).stdout) as Record<
      string,
      unknown
    >
    assert.equal(meta.version, 1)
    assert.equal((meta.jail as {name: string}).name, 'web1')
    assert.equal(meta.entries, names.filter((name) => name.startsWith('root/')).length)
    assert.equal((await readdir(archives)).filter((name) => name.startsWith('.')).length, 0)
  })

  it('refuses a running jail (exit 2, nothing written) unless -f; zstd and none', async () => {
    await exec('jail', ['-f', path.join(host.dirs.jailconf, 'web2.conf'), '-c', 'web2'], {env: host.env})
    const before = await readdir(archives)
    const refused = await tsez(['archive', '-d', archives, 'web2'], host.env)
    assert.equal(refused.exitCode, 2)
    assert.match(refused.stderr, /^tsez: jail web2 is running.*-f/)
    assert.deepEqual(await readdir(archives), before)
    const zstd = await tsez(['archive', '-f', '-c', 'zstd', 'web2'], host.env)
    assert.equal(zstd.exitCode, 0, zstd.stderr)
    assert.match(zstd.stdout, /web2-\d{8}T\d{6}Z\.tsez\.tar\.zst\n/)
    const plain = await tsez(['archive', '-f', '-c', 'none', '-d', path.join(host.root, 'plain'), 'web2'], host.env)
    assert.equal(plain.exitCode, 0, plain.stderr)
    const [tar] = await readdir(path.join(host.root, 'plain'))
    assert.match(tar ?? '', /\.tsez\.tar$/)
    await exec('jail', ['-f', path.join(host.dirs.jailconf, 'web2.conf'), '-r', 'web2'], {env: host.env})
  })

  it('refuses -d inside a jail, the basejail, the newjail or the flavours, and then removes nothing there', async () => {
    const inJail = path.join(host.dirs.jaildir, 'web1', 'root')
    // What a sweep of leftovers would remove, were the directory accepted: here, the jail's owner's files
    const bait = ['notes.tsez.tar.xz.sha256', '.db.tsez.tar.partial-abc123', 'config.tmp-0123456789ab']
    for (const name of bait) await writeFile(path.join(inJail, name), 'mine\n')
    for (const [dir, pattern] of [
      [inJail, /lies inside jail web1's root/],
      [path.join(host.dirs.basejail, 'backups'), /lies inside the basejail, which every jail mounts/],
      [path.join(host.dirs.newjail, 'backups'), /lies inside the newjail, which every new jail copies/],
      [path.join(host.dirs.flavours, 'backups'), /lies inside the flavours/],
    ] as const) {
      const refused = await tsez(['archive', '-d', dir, 'web1'], host.env)
      assert.equal(refused.exitCode, 2, refused.stderr)
      assert.match(refused.stderr, pattern)
    }
    for (const name of bait) assert.equal(await readFile(path.join(inJail, name), 'utf8'), 'mine\n', name)
    for (const tree of [host.dirs.basejail, host.dirs.newjail, host.dirs.flavours]) {
      assert.equal((await readdir(tree)).includes('backups'), false)
    }
  })

  it('a failing compressor is exit 1 with no file under the final name; -A goes on; --dry-run writes nothing', async () => {
    const bin = path.join(host.root, 'bad-bin')
    await mkdir(bin, {recursive: true})
    await writeFile(path.join(bin, 'xz'), '#!/bin/sh\ncat >/dev/null\necho "xz: No space left on device" >&2\nexit 1\n')
    await chmod(path.join(bin, 'xz'), 0o755)
    const dir = path.join(host.root, 'failing')
    const failed = await tsez(['archive', '-A', '-d', dir], {...host.env, PATH: `${bin}:${host.env.PATH ?? ''}`})
    assert.equal(failed.exitCode, 1)
    assert.match(failed.stderr, /tsez: archiving web1 failed: .*No space left/)
    assert.match(failed.stderr, /tsez: archiving web2 failed: /)
    assert.deepEqual(await readdir(dir), [])

    const dry = await tsez(['archive', '-n', '-A', '-d', path.join(host.root, 'dry')], host.env)
    assert.equal(dry.exitCode, 0, dry.stderr)
    assert.match(dry.stdout, /rename .*\.partial-[0-9a-f]+ -> .*web1-.*\.tsez\.tar\.xz/)
    assert.equal(await readFile(path.join(host.root, 'dry')).catch(() => 'absent'), 'absent')

    const unknown = await tsez(['archive', 'nope'], host.env)
    assert.equal(unknown.exitCode, 2)
    assert.match(unknown.stderr, /^tsez: no jail named "nope"/)
  })

  it('notes its xz in the host lock while it runs (a takeover after a kill waits for it)', async () => {
    const wrappers = await mkdtemp(path.join(tmpdir(), 'tsez-xz-wrapper-'))
    const log = path.join(wrappers, 'log')
    const realXz = (await exec('sh', ['-c', 'command -v xz'])).stdout.trim()
    // Waits up to 2 s for the lock to name this very process, says whether it did, then is xz.
    const wrapper = [
      '#!/bin/sh',
      'i=0',
      'while [ $i -lt 200 ]; do',
      `  if grep -q '"pid":'$$'[,}]' '${host.dirs.dbdir}/lock' 2>/dev/null; then echo noted >> '${log}'; exec '${realXz}' "$@"; fi`,
      '  i=$((i + 1)); sleep 0.01',
      'done',
      `echo 'not noted' >> '${log}'`,
      `exec '${realXz}' "$@"`,
    ]
    await writeFile(path.join(wrappers, 'xz'), wrapper.join('\n') + '\n', {mode: 0o755})
    try {
      const out = path.join(wrappers, 'out')
      const env = {...host.env, PATH: `${wrappers}:${host.env.PATH ?? process.env.PATH ?? ''}`}
      const result = await tsez(['archive', '-d', out, 'web2'], env)
      assert.equal(result.exitCode, 0, result.stderr)
      assert.equal(await readFile(log, 'utf8'), 'noted\n')
    } finally {
      await rm(wrappers, {recursive: true, force: true})
    }
  })
})
