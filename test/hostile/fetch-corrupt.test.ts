import assert from 'node:assert/strict'
import {createHash} from 'node:crypto'
import {readFile, readdir, rm, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {tsez} from '../support/cli.js'
import {RELEASE, RELEASE_PATH, createTestHost, installArgs, type TestHost} from '../support/test-host.js'

/** Files anywhere below dir, as relative paths. */
async function filesBelow(dir: string): Promise<string[]> {
  const entries = await readdir(dir, {recursive: true, withFileTypes: true}).catch(() => [])
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort()
}

/** Flips 16 bytes at `offset`: the file keeps its length, only its content (and sha256) changes. */
async function corrupt(file: string, offset: number): Promise<void> {
  const bytes = await readFile(file)
  for (let i = offset; i < Math.min(offset + 16, bytes.length); i++) bytes[i] = bytes[i]! ^ 0xff
  await writeFile(file, bytes)
}

const sha256 = async (file: string) =>
  createHash('sha256')
    .update(await readFile(file))
    .digest('hex')

// Damaged bytes, whether they come over the wire or already sit in the cache, are named for what they are.
describe('hostile: damaged distribution sets', function () {
  this.timeout(300_000)
  let host: TestHost
  beforeEach(async () => (host = await createTestHost()))
  afterEach(() => host.cleanup())

  const cached = (set: string) =>
    path.join(host.dirs.cachedir, RELEASE, 'amd64-amd64', host.release.sets[set]!.sha256, `${set}.txz`)
  const baseRequests = () => host.server.requests.filter((r) => r.endsWith('/base.txz')).length

  describe('a cached set whose sha256 does not match (same size)', () => {
    const damageCache = async () => {
      const file = cached('base')
      const size = (await readFile(file)).length
      await corrupt(file, Math.floor(size / 2))
      assert.notEqual(await sha256(file), host.release.sets.base!.sha256)
    }
    const expectRepaired = async (stderr: string, requestsBefore: number) => {
      const warnings = stderr.split('\n').filter((line) => line.startsWith('tsez: warning: '))
      assert.equal(warnings.length, 1, stderr)
      assert.match(
        warnings[0]!,
        /base\.txz: the cached copy .*base\.txz does not match MANIFEST's sha256 [0-9a-f]{64} \(it has [0-9a-f]{64}\); removed it, fetching the set again/,
      )
      assert.equal(baseRequests(), requestsBefore + 1, 'base.txz fetched again')
      assert.equal(await sha256(cached('base')), host.release.sets.base!.sha256, 'the cache holds the good file')
      const files = await filesBelow(host.dirs.cachedir)
      assert.equal(files.filter((f) => f.includes('.partial-')).length, 0, files.join('\n'))
    }

    it('install --force replaces it with a fresh verified download and succeeds', async () => {
      assert.equal((await tsez(installArgs(host, '--no-patch'), host.env)).exitCode, 0)
      await damageCache()
      const before = baseRequests()
      const result = await tsez(installArgs(host, '--no-patch', '--force'), host.env)
      assert.equal(result.exitCode, 0, result.stderr)
      await expectRepaired(result.stderr, before)
    })

    it('a fresh host with that cache installs', async () => {
      assert.equal((await tsez(installArgs(host, '--no-patch'), host.env)).exitCode, 0)
      await damageCache()
      for (const dir of [host.dirs.jaildir, host.dirs.dbdir]) await rm(dir, {recursive: true, force: true})
      const before = baseRequests()
      const result = await tsez(installArgs(host, '--no-patch'), host.env)
      assert.equal(result.exitCode, 0, result.stderr)
      await expectRepaired(result.stderr, before)
    })
  })

  describe('a body corrupted in flight (same length)', () => {
    for (const [where, offsetOf] of [
      ['early', () => 1000],
      ['in the middle', (size: number) => Math.floor(size / 2)],
      ['in the last block', (size: number) => size - 1000],
    ] as const) {
      it(`${where}: exit 1 naming the sha256 mismatch and the URL; nothing installed, nothing cached`, async () => {
        const file = path.join(host.releaseDir, 'base.txz')
        await corrupt(file, offsetOf((await readFile(file)).length))
        const actual = await sha256(file)
        const {exitCode, stderr, stdout} = await tsez(installArgs(host, '--no-patch'), host.env)
        assert.equal(exitCode, 1, stderr)
        assert.equal(stdout, '')
        const errors = stderr.split('\n').filter((line) => line.startsWith('tsez: '))
        assert.equal(errors.length, 1, stderr)
        const url = `${host.httpMirror}/${RELEASE_PATH}/base.txz`
        assert.equal(
          errors[0],
          `tsez: base.txz from ${url}: sha256 mismatch: MANIFEST says ${host.release.sets.base!.sha256}, got ${actual}`,
        )
        assert.deepEqual(await readdir(host.dirs.jaildir).catch(() => []), [], 'nothing at the final paths')
        assert.deepEqual(await filesBelow(host.dirs.cachedir), [], 'nothing in the cache')
      })
    }
  })
})
