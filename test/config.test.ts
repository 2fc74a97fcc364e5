import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {once} from 'node:events'
import {chmod, chown, mkdir, mkdtemp, rm, symlink, writeFile} from 'node:fs/promises'
import {createServer} from 'node:net'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {loadConfig, parseConfigText, reservedNames, resolveConfig, type LoadConfigOptions} from '../src/config.js'
import {UsageError} from '../src/errors.js'

describe('config', () => {
  let dir: string
  beforeEach(async () => (dir = await mkdtemp(path.join(tmpdir(), 'tsez-config-'))))
  afterEach(() => rm(dir, {recursive: true, force: true}))

  it('gives every default when the default file is missing', () => {
    const config = resolveConfig(new Map(), undefined)
    assert.equal(config.jaildir, '/usr/jails')
    assert.equal(config.basejail, '/usr/jails/basejail')
    assert.equal(config.newjail, '/usr/jails/newjail')
    assert.equal(config.flavours, '/usr/jails/flavours')
    assert.equal(config.archives, '/usr/jails/tsez_archives')
    assert.equal(config.jailconfDir, '/etc/jail.conf.d')
    assert.equal(config.cachedir, '/var/cache/tsez')
    assert.equal(config.dbdir, '/var/db/tsez')
    assert.equal(config.mirror, 'https://download.freebsd.org')
    assert.equal(config.execStop, '/bin/sh /etc/rc.shutdown jail')
    assert.equal(config.devfsRuleset, 4)
    assert.deepEqual(config.defaultFlavours, [])
  })

  it('parses quotes, escapes, comments and ${} references, and derived defaults follow tsez_jaildir', () => {
    const values = parseConfigText(
      [
        '# a comment',
        '',
        'tsez_jaildir="/data/jails"   # trailing comment',
        "tsez_exec_start='/bin/sh /etc/rc $notexpanded'",
        'tsez_cachedir=${tsez_jaildir}/cache',
        'tsez_default_flavour="default  webserver"',
        'tsez_exec_stop="say \\"bye\\" \\$HOME"',
      ].join('\n'),
      'test.conf',
    )
    const config = resolveConfig(values, 'test.conf')
    assert.equal(config.jaildir, '/data/jails')
    assert.equal(config.basejail, '/data/jails/basejail')
    assert.equal(config.cachedir, '/data/jails/cache')
    assert.equal(config.execStart, '/bin/sh /etc/rc $notexpanded')
    assert.equal(config.execStop, 'say "bye" $HOME')
    assert.deepEqual(config.defaultFlavours, ['default', 'webserver'])
  })

  it('a reference may use a tsez default that the file did not set', () => {
    const config = resolveConfig(parseConfigText('tsez_basejail="${tsez_jaildir}/base"', 'x'), 'x')
    assert.equal(config.basejail, '/usr/jails/base')
  })

  for (const [text, pattern] of [
    ['tsez_jaildir=$(rm -rf /)', /parsed, never executed/],
    ['tsez_jaildir=`id`', /not allowed|parsed, never executed/],
    ['tsez_jaildir="`id`"', /command substitution/],
    ['tsez_jaildir="/x"; rm -rf /', /unexpected text|not allowed/],
    ['tsez_jaildir="/x" && echo', /unexpected text/],
    ['tsez_jaildir="/unterminated', /unterminated double quote/],
    ["tsez_jaildir='/unterminated", /unterminated single quote/],
    ['this is not an assignment', /not a name="value" line/],
    ['tsez_basejail="${nope}/x"', /\$\{nope\} refers to a key that is not set/],
    ['tsez_jaildir="relative/path"', /tsez_jaildir must be an absolute path/],
    ['tsez_devfs_ruleset="four"', /tsez_devfs_ruleset must be a number/],
  ] as const) {
    it(`rejects ${JSON.stringify(text)} as a usage error`, () => {
      assert.throws(
        () => resolveConfig(parseConfigText(text, 'bad.conf'), 'bad.conf'),
        (error: Error) =>
          error instanceof UsageError && pattern.test(error.message) && error.message.startsWith('bad.conf'),
      )
    })
  }

  it('warns about unknown keys, with the line', () => {
    const warnings: string[] = []
    parseConfigText('\nezjail_jaildir="/x"', 'w.conf', (m) => warnings.push(m))
    assert.deepEqual(warnings, ['w.conf:2: unknown key ezjail_jaildir (ignored)'])
  })

  it('--config and TSEZ_CONFIG name files that must exist; the default file may be missing', async () => {
    const file = path.join(dir, 'tsez.conf')
    await writeFile(file, 'tsez_jaildir="/j"\n')
    assert.equal((await loadConfig({flag: file})).jaildir, '/j')
    assert.equal((await loadConfig({env: {TSEZ_CONFIG: file}})).jaildir, '/j')
    await assert.rejects(loadConfig({flag: path.join(dir, 'missing.conf')}), /cannot read config file .*no such file/)
    await assert.rejects(
      loadConfig({flag: dir}),
      (error: Error) => error instanceof UsageError && /EISDIR/.test(error.message),
    )
  })

  it('refuses a FIFO, a socket, a device or a directory at once, in one line naming what it is', async function () {
    this.timeout(10_000)
    const fifo = path.join(dir, 'fifo.conf')
    execFileSync('mkfifo', [fifo])
    const link = path.join(dir, 'link.conf')
    await symlink(fifo, link)
    const refused = async (options: LoadConfigOptions, rule: RegExp) =>
      assert.rejects(
        loadConfig(options),
        (error: Error) => error instanceof UsageError && rule.test(error.message) && !error.message.includes('\n'),
        JSON.stringify(options),
      )
    await refused({flag: fifo}, new RegExp(`^--config ${fifo}: not a regular file \\(fifo\\)$`))
    await refused({env: {TSEZ_CONFIG: fifo}}, new RegExp(`^TSEZ_CONFIG ${fifo}: not a regular file \\(fifo\\)$`))
    await refused({flag: link}, new RegExp(`^--config ${link}: not a regular file \\(fifo\\)$`))
    await refused({flag: '/dev/null'}, /^--config \/dev\/null: not a regular file \(character device\)$/)
    await refused({flag: dir}, /^cannot read config file .*: EISDIR \(--config .*: a directory\)$/)
    const socket = path.join(dir, 'sock.conf')
    const server = createServer().listen(socket)
    await once(server, 'listening')
    try {
      await refused({flag: socket}, /: not a regular file \(socket\)$/)
    } finally {
      server.close()
    }
  })

  it('reads a config through a symlink to a regular file', async () => {
    const file = path.join(dir, 'real.conf')
    await writeFile(file, 'tsez_jaildir="/j"\n')
    await symlink(file, path.join(dir, 'tsez.conf'))
    assert.equal((await loadConfig({flag: path.join(dir, 'tsez.conf')})).jaildir, '/j')
  })

  it('refuses an explicitly empty --config or TSEZ_CONFIG instead of falling back to the defaults', async () => {
    for (const options of [{flag: ''}, {env: {TSEZ_CONFIG: ''}}, {flag: '', env: {TSEZ_CONFIG: '/x.conf'}}]) {
      await assert.rejects(
        loadConfig(options),
        (error: Error) => error instanceof UsageError && /(--config|TSEZ_CONFIG) is empty/.test(error.message),
        JSON.stringify(options),
      )
    }
    await assert.rejects(
      loadConfig({env: {TSEZ_CONFIG: path.join(dir, 'missing.conf')}}),
      (error: Error) => error instanceof UsageError && /no such file/.test(error.message),
    )
  })

  for (const key of ['tsez_jaildir', 'tsez_basejail', 'tsez_newjail', 'tsez_flavours', 'tsez_archives']) {
    it(`refuses ${key}="/" (the host's own root), also spelled //, /. or /x/..`, () => {
      for (const value of ['/', '//', '/.', '/x/..']) {
        assert.throws(
          () => resolveConfig(parseConfigText(`${key}="${value}"`, 'slash.conf'), 'slash.conf'),
          (error: Error) => error instanceof UsageError && new RegExp(`${key} must not be /`).test(error.message),
        )
      }
    })
  }

  describe('who may write the file (tsez runs as root: whoever writes tsez.conf steers it)', () => {
    const me = process.getuid?.() ?? 0
    it('refuses a file writable by group or others, or in such a directory without the sticky bit', async () => {
      const file = path.join(dir, 'tsez.conf')
      await writeFile(file, 'tsez_jaildir="/j"\n')
      for (const mode of [0o666, 0o646, 0o664, 0o620]) {
        await chmod(file, mode)
        await assert.rejects(
          loadConfig({flag: file}),
          (error: Error) => error instanceof UsageError && /writable by group or others/.test(error.message),
          mode.toString(8),
        )
      }
      await chmod(file, 0o644)
      assert.equal((await loadConfig({flag: file})).jaildir, '/j')
      const open = path.join(dir, 'open')
      await mkdir(open)
      await chmod(open, 0o777)
      await writeFile(path.join(open, 'tsez.conf'), 'tsez_jaildir="/j"\n', {mode: 0o644})
      await assert.rejects(
        loadConfig({flag: path.join(open, 'tsez.conf')}),
        (error: Error) =>
          error instanceof UsageError && new RegExp(`${open} .*writable by group or others`).test(error.message),
      )
      await chmod(open, 0o1777)
      assert.equal((await loadConfig({flag: path.join(open, 'tsez.conf')})).jaildir, '/j')
    })

    it('refuses a file owned by someone other than root or the user running tsez', async function () {
      if (me !== 0) this.skip() // only root can give a file away
      const file = path.join(dir, 'tsez.conf')
      await writeFile(file, 'tsez_jaildir="/j"\n', {mode: 0o644})
      await chown(file, 1001, 1001)
      await assert.rejects(
        loadConfig({flag: file}),
        (error: Error) => error instanceof UsageError && /owned by uid 1001/.test(error.message),
      )
    })
  })

  it('reserves tsez directory names, including configured ones', () => {
    const config = resolveConfig(parseConfigText('tsez_basejail="/usr/jails/base"', 'x'), 'x')
    assert.deepEqual(reservedNames(config).sort(), ['base', 'basejail', 'flavours', 'newjail', 'tsez_archives'])
  })
})
