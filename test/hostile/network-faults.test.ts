// A mirror that misbehaves in every way HTTP allows: install --force fails with one line and keeps the old install.
import assert from 'node:assert/strict'
import {readFile, rm} from 'node:fs/promises'
import path from 'node:path'

import {createInstalledHost, type InstalledHost} from '../support/installed-host.js'
import {RELEASE_PATH} from '../support/test-host.js'
import {faults, serveFaulty, type Fault, type FaultyMirror} from './faulty-mirror.js'
import {diffHost, isRoot, runTsez, snapshotHost, type HostState} from './support.js'

const set = (file: string) => `/${RELEASE_PATH}/${file}`

describe('hostile: a faulty mirror', function () {
  this.timeout(60_000)
  let host: InstalledHost
  let mirror: FaultyMirror
  let elsewhere: FaultyMirror
  let manifest: string
  before(async function () {
    if (!isRoot) this.skip() // the installed trees have root-owned, setuid and immutable files
    host = await createInstalledHost()
    mirror = await serveFaulty(host.mirror)
    elsewhere = await serveFaulty(host.mirror) // "another host": its own port
    manifest = await readFile(path.join(host.releaseDir, 'MANIFEST'), 'utf8')
  })
  after(async () => {
    await mirror?.close()
    await elsewhere?.close()
    await host?.cleanup()
  })

  const baseLine = () => manifest.split('\n').find((line) => line.startsWith('base.txz\t')) ?? ''
  const cacheRel = () => path.relative(host.root, host.dirs.cachedir)

  /**
   * Whether a difference is one a failed install may leave: the set cache's directories (and the directories
   * above it), a set it verified (kept under its sha256), the mtime of the jail directory (staging made and
   * removed). Never a partial download, a file elsewhere, or any change to the installed trees and record.
   */
  const harmless = (line: string, after: HostState) => {
    const rel = line.slice(0, line.indexOf(': '))
    const change = line.slice(rel.length + 2)
    const cache = cacheRel()
    const entry = after.tree.get(rel)
    if (cache === rel || cache.startsWith(`${rel}/`)) return change === 'unexpected' || change.startsWith('mtimeMs')
    if (rel.startsWith(`${cache}/`)) {
      if (change.startsWith('mtimeMs')) return entry?.type === 'dir'
      if (change !== 'unexpected') return false
      const verified = /\/([0-9a-f]{64})\/[\w.-]+\.txz$/.exec(rel)
      return entry?.type === 'dir' || (entry?.type === 'file' && entry.sha256 === verified?.[1])
    }
    return rel === path.relative(host.root, host.dirs.jaildir) && change.startsWith('mtimeMs')
  }

  /**
   * install --force from the faulty mirror (ENV added to the test host's): exit 1, one `tsez: ` line (after
   * progress lines), the old install, no partial download.
   */
  const failsWith = async (
    where: Array<[at: string, fault: Fault]>,
    message: RegExp,
    {mirrorUrl = mirror.url, env = {}}: {mirrorUrl?: string; env?: NodeJS.ProcessEnv} = {},
  ) => {
    await rm(host.dirs.cachedir, {recursive: true, force: true}) // a set cached by an earlier case would be used
    const before = await snapshotHost(host)
    for (const [at, fault] of where) mirror.fault(at, fault)
    try {
      const result = await runTsez(['install', '--force', '--no-patch', '-h', mirrorUrl], {...host.env, ...env})
      assert.equal(result.exitCode, 1, result.stderr)
      assert.equal(result.stdout, '')
      const lines = result.stderr.split('\n').slice(0, -1)
      assert.deepEqual(
        lines.filter((line) => line.startsWith('tsez: ')),
        lines.slice(-1),
        `one "tsez: " line, the last: ${result.stderr}`,
      )
      assert.doesNotMatch(result.stderr, /^\s+at /m, 'a stack trace')
      // eslint-disable-next-line no-control-regex -- what must not reach the terminal
      assert.doesNotMatch(lines.at(-1) ?? '', /[\x00-\x1f\x7f]/, 'control characters')
      assert.match(lines.at(-1) ?? '', message)
      const after = await snapshotHost(host)
      const changes = diffHost(host, before, after).filter((line) => !harmless(line, after))
      assert.deepEqual(changes, [], 'the host changed beyond the cache')
      const partials = [...after.tree.keys()].filter((rel) => path.basename(rel).startsWith('.partial-'))
      assert.deepEqual(partials, [], 'a partial download left in the cache')
    } finally {
      for (const [at] of where) mirror.fault(at, undefined)
    }
  }

  it('the mirror without faults serves a release that installs (the faults below are what break it)', async () => {
    const result = await runTsez(['install', '--force', '--no-patch', '-h', mirror.url], host.env)
    assert.equal(result.exitCode, 0, result.stderr)
  })

  it('connection reset mid-body', async () => {
    await failsWith([[set('base.txz'), faults.resetAfter(30_000)]], /download of base\.txz from http:.* failed: /)
  })

  it('a stall, then the connection closed before the announced length', async () => {
    await failsWith(
      [[set('base.txz'), faults.stallThenClose(30_000, 1000)]],
      /download of base\.txz from http:.* failed: .*closed/,
    )
  })

  it('a connection reset before any answer', async () => {
    await failsWith([[set('base.txz'), faults.hangUp()]], /cannot reach http:.*base\.txz: /)
  })

  it('no mirror listening', async () => {
    const gone = await serveFaulty(host.mirror)
    await gone.close()
    await failsWith([], /cannot reach http:.*\/MANIFEST: ECONNREFUSED/, {mirrorUrl: gone.url})
  })

  it('HTTP 500 for the base set', async () => {
    await failsWith([[set('base.txz'), faults.status(500)]], /download of http:.*base\.txz failed: HTTP 500/)
  })

  it('HTTP 503 for lib32 after base was verified (base may stay cached, verified)', async () => {
    await failsWith([[set('lib32.txz'), faults.status(503)]], /download of http:.*lib32\.txz failed: HTTP 503/)
  })

  it('HTTP 404 for one set', async () => {
    await failsWith([[set('lib32.txz'), faults.status(404)]], /download of http:.*lib32\.txz failed: HTTP 404/)
  })

  it('HTTP 404 for MANIFEST', async () => {
    await failsWith([[set('MANIFEST'), faults.status(404)]], /no MANIFEST at http:.* and no trusted one/)
  })

  it('a redirect loop', async () => {
    await failsWith([[set('base.txz'), faults.redirect((at) => at)]], /cannot reach .*base\.txz: redirect count/)
  })

  it('a redirect to file:///etc/passwd', async () => {
    await failsWith(
      [[set('base.txz'), faults.redirect(() => 'file:///etc/passwd')]],
      /cannot reach .*base\.txz: URL scheme must be a HTTP\(S\) scheme/,
    )
  })

  it('a redirect to another host serving other bytes', async () => {
    const other = (at: string) => `${elsewhere.url}${at.replace('base.txz', 'src.txz')}`
    await failsWith([[set('base.txz'), faults.redirect(other, 301)]], /base\.txz from .*: sha256 mismatch/)
  })

  it('a redirect to https on a plain-HTTP port', async () => {
    const https = (at: string) => `${elsewhere.url.replace('http:', 'https:')}${at}`
    await failsWith([[set('base.txz'), faults.redirect(https)]], /cannot reach http:.*base\.txz: ERR_SSL/)
  })

  it('a Content-Length larger than the body', async () => {
    await failsWith(
      [[set('base.txz'), faults.lengthOf(10_000_000)]],
      /download of base\.txz .* failed: .*does not match content-length/,
    )
  })

  it('a Content-Length smaller than the body', async () => {
    await failsWith([[set('base.txz'), faults.lengthOf(1000)]], /base\.txz from .*: sha256 mismatch/)
  })

  it('206 Partial Content: the first 64 KiB only', async () => {
    await failsWith([[set('base.txz'), faults.partial(1 << 16)]], /base\.txz from .*: sha256 mismatch/)
  })

  it('an empty 200', async () => {
    await failsWith([[set('base.txz'), faults.body('')]], /base\.txz from .*: sha256 mismatch/)
  })

  it('a gzip-compressed body without Content-Encoding', async () => {
    await failsWith([[set('base.txz'), faults.gzipped()]], /base\.txz from .*: sha256 mismatch/)
  })

  it('a MANIFEST with CRLF line ends', async () => {
    await failsWith([[set('MANIFEST'), faults.body(manifest.replaceAll('\n', '\r\n'))]], /malformed MANIFEST .*line 1/)
  })

  it('a MANIFEST with an extra column', async () => {
    await failsWith(
      [[set('MANIFEST'), faults.body(manifest.replace(baseLine(), `${baseLine()}\textra`))]],
      /malformed MANIFEST .*line \d+: expected 6 tab-separated fields, found 7/,
    )
  })

  it('a MANIFEST naming a set outside the release directory', async () => {
    const escape = baseLine().replace(/^base\.txz/, '../../../../etc/base.txz')
    await failsWith(
      [[set('MANIFEST'), faults.body(manifest.replace(baseLine(), escape))]],
      /malformed MANIFEST .*bad file name "\.\.\/\.\.\/\.\.\/\.\.\/etc\/base\.txz"/,
    )
  })

  it('a MANIFEST of 20 MB (one long line) is refused unread', async () => {
    await failsWith(
      [[set('MANIFEST'), faults.body(`${'x'.repeat(20_000_000)}\n${manifest}`)]],
      /download of http:.*\/MANIFEST refused: Content-Length 20000\d+ is over 1 MiB, the most a MANIFEST may have$/,
    )
  })

  it('a captive portal: 200 with an HTML page for MANIFEST', async () => {
    await failsWith(
      [[set('MANIFEST'), faults.body('<html><body>Log in to continue</body></html>\n')]],
      /malformed MANIFEST from http:.*line 1/,
    )
  })

  it('a MANIFEST without end (no Content-Length) is cut off at 1 MiB', async () => {
    await failsWith(
      [[set('MANIFEST'), faults.flood(256 << 20)]],
      /download of http:.*\/MANIFEST failed: more than 1 MiB, the most a MANIFEST may have$/,
    )
  })

  it('HTTP 500 for MANIFEST', async () => {
    await failsWith(
      [[set('MANIFEST'), faults.status(500)]],
      /download of http:.*\/MANIFEST failed: HTTP 500 Internal Server Error$/,
    )
  })

  it('a MANIFEST listing base twice, the second time with another sha256', async () => {
    const again = baseLine().replace(/\t[0-9a-f]{64}\t/, `\t${'f'.repeat(64)}\t`)
    await failsWith(
      [[set('MANIFEST'), faults.body(`${manifest}${again}\n`)]],
      /malformed MANIFEST from http:.*line \d+: set base listed again \(first on line \d+\)$/,
    )
  })

  it('a set body without end (no Content-Length) is cut off at the size limit', async () => {
    await failsWith(
      [[set('base.txz'), faults.flood(256 << 20)]],
      /download of base\.txz from http:.* failed: more than 4 MiB, the most a set may have$/,
      {env: {TSEZ_SET_MAX_MIB: '4'}},
    )
  })

  it('a Content-Length over the size limit (2048 MiB) is refused unread', async () => {
    await failsWith(
      [[set('base.txz'), faults.flood(256 << 20, 1e12)]],
      /download of http:.*base\.txz refused: Content-Length 1000000000000 is over 2048 MiB, the most a set may have$/,
    )
  })

  it('a connection accepted, then never an answer', async () => {
    await failsWith([[set('base.txz'), faults.silent()]], /cannot reach http:.*base\.txz: no answer for 1 s$/, {
      env: {TSEZ_FETCH_TIMEOUT: '1'},
    })
  })

  it('a stall mid-body that never ends', async () => {
    await failsWith(
      [[set('base.txz'), faults.stall(30_000)]],
      /download of base\.txz from http:.* failed: no data for 1 s$/,
      {env: {TSEZ_FETCH_TIMEOUT: '1'}},
    )
  })

  it('a body trickled a byte at a time', async () => {
    await failsWith(
      [[set('base.txz'), faults.trickle(20)]],
      /download of base\.txz from http:.* failed: only \d+ bytes in 1(\.\d)? s \(the least tsez takes is 1 KiB\/s\)$/,
      {env: {TSEZ_FETCH_TIMEOUT: '1'}},
    )
  })

  it('Content-Encoding gzip of another set: the decoded bytes fail the sha256, and the message says they were decoded', async () => {
    const src = await readFile(path.join(host.releaseDir, 'src.txz'))
    await failsWith(
      [[set('base.txz'), faults.contentEncodingGzip([], src)]],
      /base\.txz from http:.*: sha256 mismatch: .* \(after decoding the Content-Encoding "gzip" the mirror sent\)$/,
    )
  })

  it('Content-Encoding gzip against Accept-Encoding: identity is decoded, and the set verifies and installs', async () => {
    await rm(host.dirs.cachedir, {recursive: true, force: true})
    const accepted: string[] = []
    mirror.fault(set('MANIFEST'), faults.contentEncodingGzip(accepted))
    mirror.fault(set('base.txz'), faults.contentEncodingGzip(accepted))
    try {
      const result = await runTsez(['install', '--force', '--no-patch', '-h', mirror.url], host.env)
      assert.equal(result.exitCode, 0, result.stderr)
      assert.match(result.stderr, /base\.txz: .* sha256 verified/)
      assert.deepEqual(accepted, ['identity', 'identity'], 'tsez asks for the bytes as they are')
    } finally {
      mirror.fault(set('MANIFEST'), undefined)
      mirror.fault(set('base.txz'), undefined)
    }
  })
})
