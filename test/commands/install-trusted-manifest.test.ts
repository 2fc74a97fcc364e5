import assert from 'node:assert/strict'
import {chmod, mkdir, readFile, readdir, symlink, writeFile} from 'node:fs/promises'
import path from 'node:path'
import {execFileSync} from 'node:child_process'

import {tsez} from '../support/cli.js'
import {createTestHost, installArgs, RELEASE, type TestHost} from '../support/test-host.js'

describe("tsez install: a trusted MANIFEST before the mirror's", function () {
  let host: TestHost
  beforeEach(async () => (host = await createTestHost()))
  afterEach(() => host.cleanup())

  const trustedFile = () => path.join(host.dirs.manifests, `amd64-amd64-${RELEASE}`)
  const mirrorManifest = () => readFile(path.join(host.releaseDir, 'MANIFEST'), 'utf8')
  const putTrusted = async (text: string, file = trustedFile()) => {
    await mkdir(path.dirname(file), {recursive: true, mode: 0o755})
    await writeFile(file, text, {mode: 0o644})
    return file
  }
  const installed = async () => (await readdir(host.dirs.jaildir).catch(() => [] as string[])).sort()
  const install = (...extra: string[]) => tsez(installArgs(host, '--no-patch', ...extra), host.env)

  it('matching: the sets are checked against the trusted file, and the plan says so', async () => {
    const file = await putTrusted(await mirrorManifest())
    const plan = await install('--dry-run')
    assert.equal(plan.exitCode, 0, plan.stderr)
    assert.match(plan.stdout, new RegExp(`fetch .*base\\.txz \\(sha256 [0-9a-f]{64} from the trusted ${file}`))
    const {exitCode, stderr} = await install()
    assert.equal(exitCode, 0, stderr)
    assert.doesNotMatch(stderr, /no trusted MANIFEST/)
    assert.deepEqual(await installed(), ['basejail', 'flavours', 'newjail'])
  })

  it('mismatching: exit 1 with both sha256, nothing installed, nothing cached', async () => {
    const served = await mirrorManifest()
    const base = host.release.sets.base!.sha256
    await putTrusted(served.replace(base, 'e'.repeat(64)))
    const {exitCode, stderr, stdout} = await install()
    assert.equal(exitCode, 1, stderr)
    assert.equal(stdout, '')
    const hash = (text: string) => execFileSync('sha256sum', {input: text}).toString().slice(0, 64)
    const line = stderr.split('\n').find((l) => l.startsWith('tsez: '))!
    assert.match(line, /the MANIFEST of http:.* differs from the trusted .*amd64-amd64-14\.3-RELEASE/)
    assert.ok(line.includes(`sha256 ${hash(served)}`), line)
    assert.ok(line.includes(`sha256 ${hash(served.replace(base, 'e'.repeat(64)))}`), line)
    assert.deepEqual(await installed(), [])
    assert.deepEqual(await readdir(host.dirs.cachedir).catch(() => []), [])
  })

  it("missing: falls back to the mirror's, saying so exactly once", async () => {
    const {exitCode, stderr} = await install()
    assert.equal(exitCode, 0, stderr)
    assert.equal(stderr.split('no trusted MANIFEST at').length - 1, 1, stderr)
    assert.match(stderr, /checking the sets against the mirror's MANIFEST/)
  })

  it('--manifest FILE is used even when tsez_manifests has one (a wrong one there is not read)', async () => {
    await putTrusted('not a manifest\n')
    const own = await putTrusted(await mirrorManifest(), path.join(host.root, 'pinned', 'MANIFEST'))
    const {exitCode, stderr} = await install('--manifest', own)
    assert.equal(exitCode, 0, stderr)
    assert.deepEqual(await installed(), ['basejail', 'flavours', 'newjail'])
  })

  it('--manifest with a set the mirror does not serve the same way is refused before any download', async () => {
    const served = await mirrorManifest()
    const own = await putTrusted(served.replace(/\t"[^"]*"/, '\t"Other description"'), path.join(host.root, 'm'))
    const {exitCode, stderr} = await install('--manifest', own)
    assert.equal(exitCode, 1, stderr)
    assert.match(stderr, /differs from the trusted/)
    assert.doesNotMatch(stderr, /fetching/)
  })

  const refused: Array<[string, (file: string) => Promise<string>, RegExp]> = [
    [
      '--manifest naming a missing file',
      (file) => Promise.resolve(file + '.nope'),
      /cannot read trusted MANIFEST file .*: no such file/,
    ],
    [
      'a FIFO',
      async (file) => {
        await mkdir(path.dirname(file), {recursive: true})
        execFileSync('mkfifo', [file])
        return file
      },
      /not a regular file \(fifo\)/,
    ],
    [
      'a symlink to /dev/zero',
      async (file) => {
        await mkdir(path.dirname(file), {recursive: true})
        await symlink('/dev/zero', file)
        return file
      },
      /not a regular file \(character device\)/,
    ],
    [
      'a file larger than any MANIFEST',
      (file) => putTrusted('x'.repeat(100 * 1024), file),
      /bytes, more than a trusted MANIFEST can be/,
    ],
    [
      'a group-writable file',
      async (file) => {
        await putTrusted(await mirrorManifest(), file)
        await chmod(file, 0o664)
        return file
      },
      /is writable by group or others: tsez runs as root and will not read a trusted MANIFEST/,
    ],
    ['a malformed file', (file) => putTrusted('base.txz\tnot-a-hash\n', file), /malformed MANIFEST from .*line 1/],
    [
      'a set named with ../',
      (file) => putTrusted(`../../etc/base.txz\t${'a'.repeat(64)}\t1\tbase\t"Base system"\ton\n`, file),
      /bad file name/,
    ],
  ]
  for (const [what, make, message] of refused) {
    for (const where of ['--manifest', 'tsez_manifests'] as const) {
      it(`${what} (${where}): exit 2, one line, nothing installed or cached`, async () => {
        const target = where === '--manifest' ? path.join(host.root, 'given', 'MANIFEST') : trustedFile()
        const file = await make(target)
        const {exitCode, stderr, stdout} = await install(...(where === '--manifest' ? ['--manifest', file] : []))
        if (what.startsWith('--manifest naming') && where === 'tsez_manifests') {
          assert.equal(exitCode, 0, 'a missing file under tsez_manifests is a fallback, not an error')
          return
        }
        assert.equal(exitCode, 2, stderr)
        assert.equal(stdout, '')
        const lines = stderr.split('\n').filter((l) => l.startsWith('tsez: '))
        assert.equal(lines.length, 1, stderr)
        assert.match(lines[0]!, message)
        assert.deepEqual(await installed(), [])
        assert.deepEqual(await readdir(host.dirs.cachedir).catch(() => []), [])
      })
    }
  }

  it('--manifest with --no-verify is a contradiction: exit 2, nothing read', async () => {
    const {exitCode, stderr} = await install('--manifest', '/nonexistent', '--no-verify')
    assert.equal(exitCode, 2, stderr)
    assert.match(
      stderr,
      /^tsez: --manifest names the MANIFEST the sets are verified against: it cannot go with --no-verify$/m,
    )
    assert.deepEqual(await installed(), [])
  })
})
