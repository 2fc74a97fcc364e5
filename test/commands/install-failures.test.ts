import assert from 'node:assert/strict'
import {chmod, readFile, readdir, rm, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {tsez} from '../support/cli.js'
import {createTestHost, installArgs, RELEASE, RELEASE_PATH, type TestHost} from '../support/test-host.js'
import {diffTrees, snapshotTree} from '../support/tree.js'

/** Files anywhere below dir, as relative paths (to prove nothing landed in the cache). */
async function filesBelow(dir: string): Promise<string[]> {
  const entries = await readdir(dir, {recursive: true, withFileTypes: true}).catch(() => [])
  return entries.filter((e) => e.isFile()).map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
}

describe('tsez install: failures leave nothing behind', function () {
  let host: TestHost
  beforeEach(async () => (host = await createTestHost()))
  afterEach(() => host.cleanup())

  /** `cached`: the sets that were verified AND extracted before the failure, which the cache may keep. */
  const expectCleanFailure = async (args: string[], exit: number, message: RegExp, cached: string[] = []) => {
    const {exitCode, stderr, stdout} = await tsez(args, host.env)
    assert.equal(exitCode, exit, stderr)
    assert.equal(stdout, '')
    const lines = stderr
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('tsez: '))
    assert.equal(lines.length, 1, stderr)
    assert.match(lines[0]!, message)
    assert.deepEqual(await readdir(host.dirs.jaildir).catch(() => []), [], 'nothing at the final paths, no staging')
    const sha = (set: string) => host.release.sets[set]!.sha256
    assert.deepEqual(
      await filesBelow(host.dirs.cachedir),
      cached.map((set) => `${RELEASE}/amd64-amd64/${sha(set)}/${set}.txz`),
      'no partial or failed download in the cache',
    )
  }
  const manifestPath = () => path.join(host.releaseDir, 'MANIFEST')
  const setUrl = (file: string) => `/${RELEASE_PATH}/${file}`

  it('wrong sha256 in MANIFEST', async () => {
    const text = await readFile(manifestPath(), 'utf8')
    await writeFile(manifestPath(), text.replace(host.release.sets.base!.sha256, 'f'.repeat(64)))
    await expectCleanFailure(
      installArgs(host),
      1,
      /base\.txz from .*: sha256 mismatch: MANIFEST says f{64}, got [0-9a-f]{64}/,
    )
  })

  it('a set missing from MANIFEST', async () => {
    const text = await readFile(manifestPath(), 'utf8')
    await writeFile(
      manifestPath(),
      text
        .split('\n')
        .filter((l) => !l.startsWith('base.txz'))
        .join('\n'),
    )
    await expectCleanFailure(installArgs(host), 1, /MANIFEST at .* does not list the base set/)
  })

  it('no MANIFEST', async () => {
    await rm(manifestPath())
    await expectCleanFailure(
      installArgs(host),
      1,
      /no MANIFEST at http:.* and no trusted one: is .* published for .* there\? \(check -r and -h/,
    )
  })

  it('a malformed MANIFEST', async () => {
    await writeFile(manifestPath(), 'base.txz abc\n')
    await expectCleanFailure(installArgs(host), 1, /malformed MANIFEST .* line 1/)
  })

  it('a truncated body', async () => {
    host.server.fault(setUrl('base.txz'), {truncateAt: 20_000})
    await expectCleanFailure(installArgs(host), 1, /base\.txz.*(truncated|failed|terminated)/)
  })

  it('HTTP 404 for a set', async () => {
    host.server.fault(setUrl('lib32.txz'), {status: 404})
    await expectCleanFailure(installArgs(host), 1, /download of http:.*lib32\.txz failed: HTTP 404/, ['base'])
  })

  it('the connection closed mid-body', async () => {
    host.server.fault(setUrl('base.txz'), {destroyAt: 50_000})
    await expectCleanFailure(installArgs(host), 1, /base\.txz.*(failed|terminated|truncated|closed)/)
  })

  it('a damaged set whose sha256 matches a damaged MANIFEST is rejected by the extractor, not installed', async () => {
    const base = path.join(host.releaseDir, 'base.txz')
    const bytes = await readFile(base)
    await writeFile(base, bytes.subarray(0, Math.floor(bytes.length / 2)))
    const {createHash} = await import('node:crypto')
    const sha = createHash('sha256')
      .update(bytes.subarray(0, Math.floor(bytes.length / 2)))
      .digest('hex')
    const text = await readFile(manifestPath(), 'utf8')
    await writeFile(manifestPath(), text.replace(host.release.sets.base!.sha256, sha))
    await expectCleanFailure(installArgs(host), 1, /xz|truncated|unexpected end|damaged/i)
  })

  for (const [args, message] of [
    [['install', '-r', '14.3', '-a', 'amd64/amd64'], /invalid release "14\.3"/],
    [['install', '-r', '14.3-RELEASE; rm -rf /', '-a', 'amd64/amd64'], /invalid release/],
    [['install', '-r', '../../14.3-RELEASE', '-a', 'amd64/amd64'], /invalid release/],
    [['install', '-r', RELEASE, '-a', 'amd64'], /invalid MACHINE\/ARCH "amd64"/],
    [['install', '-r', RELEASE, '-a', 'arm64/amd64'], /invalid MACHINE\/ARCH/],
    [['install', '-r', RELEASE, '-a', 'amd64/amd64', '-h', 'ftp://ftp.freebsd.org'], /invalid mirror "ftp:/],
    [['install', '-r', RELEASE, '-a', 'amd64/amd64', '-h', 'mirror/dir'], /invalid mirror/],
    [['install', '-r', RELEASE, '-a', 'amd64/amd64', '-h', 'file://host/dir'], /file:\/\/ URLs take no host/],
    [['install', '--bogus-flag'], /Nonexistent flag/],
  ] as const) {
    it(`bad input ${JSON.stringify(args.slice(1).join(' '))} → exit 2, nothing written`, async () => {
      const before = await snapshotTree(host.root)
      const {exitCode, stderr} = await tsez([...args], host.env)
      assert.equal(exitCode, 2, stderr)
      assert.match(stderr, message)
      assert.deepEqual(diffTrees(before, await snapshotTree(host.root)), [])
      assert.deepEqual(host.server.requests, [])
    })
  }

  it('no release to be had off FreeBSD → exit 2 asking for -r', async () => {
    host.fake.set('freebsd-version.fail', '1')
    const before = await snapshotTree(host.root)
    const {exitCode, stderr} = await tsez(['install', '-a', 'amd64/amd64', '-h', host.httpMirror], host.env)
    assert.equal(exitCode, 2)
    assert.match(stderr, /give -r RELEASE/)
    assert.deepEqual(diffTrees(before, await snapshotTree(host.root)), [])
  })

  for (const [name, content, message] of [
    ['malformed', 'tsez_jaildir=$(id)\n', /tsez\.conf:1: only \$\{name\} references/],
    ['relative path', 'tsez_jaildir="jails"\n', /tsez_jaildir must be an absolute path/],
    ['unreadable', null, /cannot read config file .*EACCES|cannot read config file .*EISDIR/],
  ] as const) {
    it(`a ${name} config file → exit 2, nothing written`, async () => {
      const file = path.join(host.root, 'tsez.conf')
      if (content === null) {
        await rm(file)
        await import('node:fs/promises').then((fs) => fs.mkdir(file))
      } else await writeFile(file, content)
      await chmod(file, 0o600)
      const before = await snapshotTree(host.root)
      const {exitCode, stderr} = await tsez(installArgs(host), host.env)
      assert.equal(exitCode, 2, stderr)
      assert.match(stderr, message)
      assert.deepEqual(diffTrees(before, await snapshotTree(host.root)), [])
    })
  }

  it('an existing basejail without --force → exit 2, untouched', async () => {
    assert.equal((await tsez(installArgs(host), host.env)).exitCode, 0)
    const before = await snapshotTree(host.root)
    const {exitCode, stderr} = await tsez(installArgs(host), host.env)
    assert.equal(exitCode, 2)
    assert.match(stderr, /already installed .*use --force/)
    assert.deepEqual(diffTrees(before, await snapshotTree(host.root)), [])
  })

  it('a failing freebsd-update discards the staging tree and keeps the previous install', async () => {
    assert.equal((await tsez(installArgs(host, '--no-patch'), host.env)).exitCode, 0)
    const trees = async () => [await snapshotTree(host.dirs.basejail), await snapshotTree(host.dirs.newjail)]
    const [baseBefore, jailBefore] = await trees()
    const beforeRecord = await readFile(path.join(host.dirs.dbdir, 'release.json'), 'utf8')
    host.fake.set('freebsd-update.fail', 'fetch')
    const {exitCode, stderr} = await tsez(installArgs(host, '--force'), host.env)
    assert.equal(exitCode, 1)
    assert.match(stderr, /freebsd-update fetch failed \(exit 1\)/)
    const [baseAfter, jailAfter] = await trees()
    assert.deepEqual([...diffTrees(baseBefore!, baseAfter!), ...diffTrees(jailBefore!, jailAfter!)], [])
    assert.deepEqual((await readdir(host.dirs.jaildir)).sort(), ['basejail', 'flavours', 'newjail'], 'no staging left')
    assert.equal(await readFile(path.join(host.dirs.dbdir, 'release.json'), 'utf8'), beforeRecord)
  })

  it('refuses to patch at kern.securelevel > 0 before doing anything', async () => {
    host.fake.set('securelevel', '1')
    const {exitCode, stderr} = await tsez(installArgs(host), host.env)
    assert.equal(exitCode, 2, 'refused, nothing changed')
    assert.match(stderr, /kern\.securelevel is 1.*--no-patch/)
    assert.deepEqual(host.server.requests, [])
  })

  it('--no-verify installs without MANIFEST, with a warning', async () => {
    await rm(manifestPath())
    const {exitCode, stderr} = await tsez(installArgs(host, '--no-verify'), host.env)
    assert.equal(exitCode, 0, stderr)
    assert.match(stderr, /warning: --no-verify/)
  })
})
