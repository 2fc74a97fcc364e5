// The FreeBSD port (packaging/freebsd/sysutils/tsez): from what `npm pack` makes, its install script builds the
// staging tree pkg-plist lists; tsez --version and the demo run from that tree, with no node_modules.
import assert from 'node:assert/strict'
import {execFile} from 'node:child_process'
import {cp, mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {promisify} from 'node:util'

import {parseConfigText} from '../../src/config.js'
import {packageRoot, spawnNode} from '../support/cli.js'

const exec = promisify(execFile)
const port = path.join(packageRoot, 'packaging/freebsd/sysutils/tsez')
/** What `npm pack` reads: the package's files and what prepack builds them from. */
const PACKED_FROM = ['package.json', 'bin', 'commands', 'src', 'flavours', 'rc.d', 'man', 'completion', 'schema']

describe('the FreeBSD port', () => {
  let work: string
  let prefix: string
  before(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'tsez-port-'))
    // npm pack in a copy: its prepack rebuilds dist/ and oclif.manifest.json, never the checkout's.
    const checkout = path.join(work, 'checkout')
    await mkdir(checkout)
    for (const entry of [...PACKED_FROM, 'oclif.manifest.json']) {
      await cp(path.join(packageRoot, entry), path.join(checkout, entry), {recursive: true}).catch(() => {})
    }
    await symlink(path.join(packageRoot, 'node_modules'), path.join(checkout, 'node_modules'))
    const {stdout} = await exec('npm', ['pack', '--silent', '--pack-destination', work], {cwd: checkout})
    const wrkdir = path.join(work, 'wrkdir')
    await mkdir(wrkdir)
    // The tarball's name is npm's last line (prepack's oclif manifest talks first).
    const tarball = stdout.trim().split('\n').at(-1)!
    await exec('tar', ['-xzf', path.join(work, tarball), '-C', wrkdir])
    // The port's SUB_FILES step, then its do-install (files/stage.sh), then the framework's man page compression.
    prefix = path.join(work, 'stage/usr/local')
    const wrapper = (await readFile(path.join(port, 'files/tsez.in'), 'utf8'))
      .replaceAll('%%NODE%%', process.execPath)
      .replaceAll('%%PREFIX%%', prefix)
    await writeFile(path.join(wrkdir, 'tsez'), wrapper)
    const src = path.join(wrkdir, 'package')
    await exec('sh', [
      path.join(port, 'files/stage.sh'),
      src,
      prefix,
      path.join(wrkdir, 'tsez'),
      path.join(port, 'files'),
    ])
    await exec('gzip', ['-9', 'share/man/man8/tsez.8', 'share/man/man5/tsez.conf.5'], {cwd: prefix})
  })
  after(async () => {
    if (work) await rm(work, {recursive: true, force: true})
  })

  it('installs exactly what pkg-plist lists, plus the bundle under libexec/tsez', async () => {
    const plist = (await readFile(path.join(port, 'pkg-plist'), 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((line) => line.replace(/^@sample /, '').replace('%%DATADIR%%', 'share/tsez'))
    const staged = (await readdir(prefix, {recursive: true, withFileTypes: true}))
      .filter((entry) => !entry.isDirectory())
      .map((entry) => path.relative(prefix, path.join(entry.parentPath, entry.name)))
    const bundle = staged.filter((file) => file.startsWith('libexec/tsez/'))
    assert.deepEqual(staged.filter((file) => !file.startsWith('libexec/tsez/')).sort(), [...plist].sort())
    // The post-install step lists the bundle: package.json, the manifest, run.js, dist/, the flavours link.
    for (const file of ['package.json', 'oclif.manifest.json', 'bin/run.js', 'dist/src/cli/oclif.js', 'flavours'])
      assert.ok(bundle.includes(`libexec/tsez/${file}`), file)
    assert.ok(!staged.some((file) => file.includes('node_modules')), 'no node_modules at run time')
  })

  it('runs tsez --version and tsez help from the staged tree', async () => {
    const version = JSON.parse(await readFile(path.join(packageRoot, 'package.json'), 'utf8')) as {version: string}
    const {stdout} = await exec(path.join(prefix, 'bin/tsez'), ['--version'])
    assert.match(stdout, new RegExp(`^tsez/${version.version.replaceAll('.', '\\.')} `))
    const help = await exec(path.join(prefix, 'bin/tsez'), ['create', '--help'], {env: {...process.env, NODE_PATH: ''}})
    assert.match(help.stdout, /Create a thin jail/)
  })

  it('runs the demo (install, create -f webserver, start, list, update -u) with the staged tsez', async function () {
    if (process.getuid?.() !== 0) this.skip() // install keeps owners: root only
    const demo = await spawnNode(['--import', 'tsx', path.join(packageRoot, 'test/demo.ts')], {
      TSEZ_DEMO_PROGRAM: path.join(prefix, 'bin/tsez'),
      XDG_CACHE_HOME: path.join(work, 'cache'),
    }).done
    assert.equal(demo.exitCode, 0, demo.stderr.slice(-3000))
    assert.match(demo.stdout, /\$ tsez create -f webserver web1 10\.0\.0\.5/)
    assert.match(demo.stdout, /web1/)
    // Only the installed bin/run.js keeps a compile cache: the demo ran the staged tsez, not the sources.
    assert.ok((await readdir(path.join(work, 'cache/tsez/node-compile-cache'))).length > 0)
  })

  it('ships a tsez.conf.sample naming every key, each commented out with its default', async () => {
    const sample = await readFile(path.join(port, 'files/tsez.conf.sample'), 'utf8')
    const settings = sample.split('\n').filter((line) => /^#tsez_/.test(line))
    const warnings: string[] = []
    const values = parseConfigText(settings.map((line) => line.slice(1)).join('\n'), 'tsez.conf.sample', (w) =>
      warnings.push(w),
    )
    assert.deepEqual(warnings, [], 'every key is one tsez.conf knows')
    const manual = await readFile(path.join(packageRoot, 'man/tsez.conf.5'), 'utf8')
    const documented = [...manual.matchAll(/^\.It Va (tsez_[a-z_]+)$/gm)].map((m) => m[1]!)
    assert.deepEqual([...values.keys()].sort(), documented.sort())
  })

  it('the Makefile depends on Node 22 or later at run time only, and names files/stage.sh', async () => {
    const makefile = await readFile(path.join(port, 'Makefile'), 'utf8')
    assert.match(makefile, /^RUN_DEPENDS=\tnode>=22:www\/node2[246]$/m)
    assert.doesNotMatch(makefile, /^(BUILD|LIB)_DEPENDS=/m)
    assert.match(makefile, /\$\{FILESDIR\}\/stage\.sh/)
    const version = JSON.parse(await readFile(path.join(packageRoot, 'package.json'), 'utf8')) as {version: string}
    assert.match(makefile, new RegExp(`^DISTVERSION=\\t${version.version.replaceAll('.', '\\.')}$`, 'm'))
  })
})
