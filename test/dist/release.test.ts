import assert from 'node:assert/strict'

import {UsageError} from '../../src/errors.js'
import {compareReleases, parsePlatform, parseRelease, resolveMirror} from '../../src/dist/release.js'

describe('dist/release', () => {
  it('parses releases and drops the patch level', () => {
    assert.deepEqual(parseRelease('14.3-RELEASE-p2'), {
      name: '14.3-RELEASE',
      major: 14,
      minor: 3,
      branch: 'RELEASE',
      snapshot: false,
    })
    assert.equal(parseRelease('15.1-RC2').snapshot, false)
    assert.equal(parseRelease('15.0-CURRENT').snapshot, true)
    assert.equal(parseRelease('14.4-STABLE').snapshot, true)
    assert.equal(parseRelease('15.0-ALPHA3').snapshot, true)
    assert.equal(parseRelease('14.3-BETA1').snapshot, false)
  })

  for (const bad of [
    '',
    '14',
    '14.3',
    '14.3-release',
    '14.3-RELEASE-p',
    'x14.3-RELEASE',
    '14.3-RELEASE/../..',
    '14.3-FOO',
    '14.3-RELEASE\n',
    ' -r',
  ]) {
    it(`rejects release ${JSON.stringify(bad)}`, () => {
      assert.throws(
        () => parseRelease(bad),
        (e: Error) => e instanceof UsageError && /invalid release/.test(e.message),
      )
    })
  }

  it('parses MACHINE/ARCH pairs FreeBSD publishes', () => {
    assert.deepEqual(parsePlatform('amd64/amd64'), {machine: 'amd64', arch: 'amd64'})
    assert.deepEqual(parsePlatform('arm64/aarch64'), {machine: 'arm64', arch: 'aarch64'})
    for (const bad of ['amd64', 'amd64/aarch64', 'arm64/arm64', 'x/y', 'amd64/amd64/x', '../amd64', '']) {
      assert.throws(() => parsePlatform(bad), UsageError, bad)
    }
  })

  it('maps mirrors: releases/ or snapshots/ under http(s), a directory for file:// and paths', () => {
    const rel = parseRelease('14.3-RELEASE')
    const amd64 = parsePlatform('amd64/amd64')
    assert.deepEqual(resolveMirror('https://download.freebsd.org', rel, amd64), {
      kind: 'http',
      url: 'https://download.freebsd.org/releases/amd64/amd64/14.3-RELEASE/',
    })
    assert.deepEqual(resolveMirror('http://127.0.0.1:8080/pub/FreeBSD/', parseRelease('15.0-CURRENT'), amd64), {
      kind: 'http',
      url: 'http://127.0.0.1:8080/pub/FreeBSD/snapshots/amd64/amd64/15.0-CURRENT/',
    })
    assert.deepEqual(resolveMirror('file:///srv/dist', rel, amd64), {kind: 'file', dir: '/srv/dist'})
    assert.deepEqual(resolveMirror('/srv/dist/', rel, amd64), {kind: 'file', dir: '/srv/dist'})
    for (const bad of [
      'ftp://ftp.freebsd.org',
      'relative/dir',
      'file://host/dir',
      'https://user:pw@host',
      'http://',
      'gopher://x',
      'https://h/?q=1',
    ]) {
      assert.throws(() => resolveMirror(bad, rel, amd64), UsageError, bad)
    }
  })

  it('orders releases as a FreeBSD release cycle runs', () => {
    const cycle = [
      '14.2-RELEASE',
      '14.3-RELEASE-p5',
      '14.3-STABLE',
      '15.0-CURRENT',
      '15.1-ALPHA2',
      '15.1-PRERELEASE',
      '15.1-BETA1',
      '15.1-BETA3',
      '15.1-RC1',
      '15.1-RC10',
      '15.1-RELEASE',
      '15.10-RELEASE',
    ].map(parseRelease)
    for (const [index, release] of cycle.entries()) {
      assert.equal(compareReleases(release, release), 0, release.name)
      for (const later of cycle.slice(index + 1)) {
        assert.ok(compareReleases(release, later) < 0, `${release.name} < ${later.name}`)
        assert.ok(compareReleases(later, release) > 0, `${later.name} > ${release.name}`)
      }
    }
    assert.equal(compareReleases(parseRelease('14.3-RELEASE-p2'), parseRelease('14.3-RELEASE')), 0)
  })
})
