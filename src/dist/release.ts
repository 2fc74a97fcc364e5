// Pure facts about FreeBSD releases: version strings, MACHINE/ARCH pairs, and where a mirror keeps a release.
import path from 'node:path'

import {quote, UsageError} from '../errors.js'

const VERSION =
  /^(\d{1,3})\.(\d{1,2})-(CURRENT|STABLE|PRERELEASE|RELEASE|ALPHA\d{1,2}|BETA\d{1,2}|RC\d{1,2})(?:-p(\d{1,4}))?$/

export interface Release {
  /** Without a patch level: 14.3-RELEASE. */
  name: string
  major: number
  minor: number
  branch: string
  /** Development branches live under snapshots/, everything else under releases/. */
  snapshot: boolean
}

/** Parses "14.3-RELEASE" (a trailing -pN is dropped, as freebsd-update does); anything else is a usage error. */
export function parseRelease(text: string): Release {
  const match = VERSION.exec(text)
  if (!match) {
    throw new UsageError(
      `invalid release ${quote(text)}: expected MAJOR.MINOR-BRANCH such as 14.3-RELEASE, 15.1-RC2 or 15.0-CURRENT`,
    )
  }
  const [, major = '', minor = '', branch = ''] = match
  return {
    name: `${major}.${minor}-${branch}`,
    major: Number(major),
    minor: Number(minor),
    branch,
    snapshot: /^(CURRENT|STABLE|PRERELEASE|ALPHA\d+)$/.test(branch),
  }
}

/** machine (uname -m) → the machine_arch values (uname -p) FreeBSD publishes distribution sets for. */
const PLATFORMS: Readonly<Record<string, readonly string[]>> = {
  amd64: ['amd64'],
  arm64: ['aarch64'],
  i386: ['i386'],
  arm: ['armv7', 'armv6'],
  powerpc: ['powerpc64', 'powerpc64le', 'powerpc'],
  riscv: ['riscv64'],
}

export interface Platform {
  machine: string
  arch: string
}

/** Parses MACHINE/ARCH ("amd64/amd64", "arm64/aarch64"). */
export function parsePlatform(text: string): Platform {
  const [machine = '', arch = '', ...rest] = text.split('/')
  const known = PLATFORMS[machine]
  if (rest.length > 0 || !known || !known.includes(arch)) {
    const valid = Object.entries(PLATFORMS).flatMap(([m, arches]) => arches.map((a) => `${m}/${a}`))
    throw new UsageError(`invalid MACHINE/ARCH ${quote(text)}: expected one of ${valid.join(', ')}`)
  }
  return {machine, arch}
}

export type Mirror = {kind: 'http'; url: string} | {kind: 'file'; dir: string}

/**
 * Where MANIFEST and the sets of a release are: http(s)://host[/path] means
 * MIRROR/{releases|snapshots}/MACHINE/ARCH/RELEASE/; file:///dir or a plain absolute path is that directory.
 */
export function resolveMirror(mirror: string, release: Release, platform: Platform): Mirror {
  if (/^https?:\/\//i.test(mirror)) {
    let url: URL
    try {
      url = new URL(mirror)
    } catch {
      throw new UsageError(`invalid mirror URL ${quote(mirror)}`)
    }
    if (url.search || url.hash || url.username || url.password) {
      throw new UsageError(`invalid mirror URL ${quote(mirror)}: no query, fragment or credentials allowed`)
    }
    const base = url.href.replace(/\/+$/, '')
    const tree = release.snapshot ? 'snapshots' : 'releases'
    return {kind: 'http', url: `${base}/${tree}/${platform.machine}/${platform.arch}/${release.name}/`}
  }
  if (/^file:\/\//i.test(mirror)) {
    let dir: string
    try {
      dir = decodeURIComponent(new URL(mirror).pathname)
    } catch {
      throw new UsageError(`invalid mirror URL ${quote(mirror)}`)
    }
    if (!new URL(mirror).host) return {kind: 'file', dir: path.resolve(dir)}
    throw new UsageError(`invalid mirror ${quote(mirror)}: file:// URLs take no host (file:///dir)`)
  }
  if (mirror.startsWith('/')) return {kind: 'file', dir: path.resolve(mirror)}
  throw new UsageError(
    `invalid mirror ${quote(mirror)}: use http://host[/path], https://host[/path], file:///dir or an absolute path`,
  )
}

/** Where FILE of the release is on MIRROR: a URL for http(s) mirrors, a path for local ones. */
export function mirrorFileLocation(mirror: Mirror, file: string): string {
  return mirror.kind === 'http' ? mirror.url + file : path.join(mirror.dir, file)
}

/** Human form of a mirror location for plans and messages. */
export function describeMirror(mirror: Mirror): string {
  return mirror.kind === 'http' ? mirror.url : `file://${mirror.dir}/`
}

/** A branch's place in a release cycle: head, then the stable branch's snapshots, betas, RCs, the release, -STABLE. */
const BRANCH_ORDER = ['CURRENT', 'ALPHA', 'PRERELEASE', 'BETA', 'RC', 'RELEASE', 'STABLE']

/** Orders releases as FreeBSD's cycle does (14.3-RELEASE < 15.1-BETA2 < 15.1-RC1 < 15.1-RELEASE): <0, 0 or >0. */
export function compareReleases(a: Release, b: Release): number {
  const rank = (release: Release) => {
    const [, kind = '', number = '0'] = /^([A-Z]+)(\d*)$/.exec(release.branch) ?? []
    return [release.major, release.minor, BRANCH_ORDER.indexOf(kind), Number(number)]
  }
  const [left, right] = [rank(a), rank(b)]
  return left.reduce((order, value, index) => order || value - (right[index] ?? 0), 0)
}
