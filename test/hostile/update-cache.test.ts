import assert from 'node:assert/strict'
import {createHash} from 'node:crypto'
import {mkdtemp, readFile, readdir, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {serveDirectory, type ServedDirectory} from '../fixtures/http-server.js'
import {generateRelease} from '../fixtures/release.js'
import {tsez} from '../support/cli.js'
import {createUpdateSandbox, type UpdateSandbox} from '../support/update-jails.js'

/** Files anywhere below dir, as relative paths. */
async function filesBelow(dir: string): Promise<string[]> {
  const entries = await readdir(dir, {recursive: true, withFileTypes: true}).catch(() => [])
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort()
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex')

// update -U downloads base sets into the same cache install uses: nothing half-made may stay there.
describe('hostile: update -U and the set cache', function () {
  this.timeout(300_000)
  let box: UpdateSandbox
  let server: ServedDirectory
  let releases: string
  const target = '15.1-RELEASE'
  const releaseDir = (version: string) => path.join(releases, 'releases/amd64/amd64', version)

  before(async () => {
    releases = await mkdtemp(path.join(tmpdir(), 'tsez-update-cache-'))
    for (const version of ['14.3-RELEASE', target])
      await generateRelease(releaseDir(version), {version, lib32: false, src: false})
    server = await serveDirectory(releases)
  })
  after(async () => {
    await server?.close()
    await rm(releases, {recursive: true, force: true})
  })
  beforeEach(async () => {
    box = await createUpdateSandbox({mirror: `${server.url}/releases/amd64/amd64/14.3-RELEASE/`})
    await box.seedJails(2, {running: [1]})
  })
  afterEach(async () => box?.cleanup())

  const upgrade = () => tsez(['update', '-U', '-r', target, '-h', server.url], box.env)
  const baseSha = async (version: string) => sha256(await readFile(path.join(releaseDir(version), 'base.txz')))

  it('a successful update -U leaves only verified sets and MANIFESTs in the cache, no partial download', async () => {
    const result = await upgrade()
    assert.equal(result.exitCode, 0, result.stderr)
    assert.deepEqual(
      await filesBelow(box.config.cachedir),
      [
        `14.3-RELEASE/amd64-amd64/${await baseSha('14.3-RELEASE')}/base.txz`,
        '14.3-RELEASE/amd64-amd64/MANIFEST',
        `${target}/amd64-amd64/${await baseSha(target)}/base.txz`,
        `${target}/amd64-amd64/MANIFEST`,
      ].sort(),
    )
  })

  it('a body corrupted in flight: exit 1 naming the sha256 mismatch, nothing of it cached, the base untouched', async () => {
    const file = path.join(releaseDir(target), 'base.txz')
    const good = await readFile(file)
    const bad = Buffer.from(good)
    const at = Math.floor(bad.length / 2)
    bad.set(
      bad.subarray(at, at + 16).map((byte) => byte ^ 0xff),
      at,
    )
    await writeFile(file, bad)
    try {
      const result = await upgrade()
      assert.equal(result.exitCode, 1, result.stderr)
      const url = `${server.url}/releases/amd64/amd64/${target}/base.txz`
      assert.match(
        result.stderr,
        new RegExp(
          `^tsez: base\\.txz from ${url}: sha256 mismatch: MANIFEST says ${sha256(good)}, got ${sha256(bad)}`,
          'm',
        ),
      )
      const cachedFiles = await filesBelow(box.config.cachedir)
      assert.deepEqual(
        cachedFiles.filter((f) => f.includes('.partial-') || f.startsWith(`${target}/amd64-amd64/${sha256(good)}`)),
        [],
        cachedFiles.join('\n'),
      )
      assert.deepEqual(box.host.calls('freebsd-update'), [])
      assert.equal(await box.baseVersion(), '14.3-RELEASE-p2')
    } finally {
      await writeFile(file, good)
    }
  })
})
