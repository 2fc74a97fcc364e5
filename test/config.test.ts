import assert from 'node:assert/strict'
import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {loadConfig, parseConfigText, reservedNames, resolveConfig} from '../src/config.js'
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

  it('reserves tsez directory names, including configured ones', () => {
    const config = resolveConfig(parseConfigText('tsez_basejail="/usr/jails/base"', 'x'), 'x')
    assert.deepEqual(reservedNames(config).sort(), ['base', 'basejail', 'flavours', 'newjail', 'tsez_archives'])
  })
})
