// pkgbase against a root tsez names: the FreeBSD-base repository config tsez writes, the keys, and pkg's argv.
import {readdir} from 'node:fs/promises'
import path from 'node:path'

import type {TsezConfig} from '../config.js'
import {quote, UsageError} from '../errors.js'
import type {Platform, Release} from '../dist/release.js'

/** The FreeBSD-set-* meta-packages a jail base can be made of (release/packages/sets). */
export const PKGBASE_SETS = ['minimal-jail', 'base-jail'] as const
export type PkgbaseSet = (typeof PKGBASE_SETS)[number]
export const DEFAULT_PKGBASE_SET: PkgbaseSet = 'minimal-jail'

/** The first major release without distribution sets and freebsd-update: there, install uses pkgbase. */
export const PKGBASE_ONLY_MAJOR = 16

/** What pkg needs to reach one release's FreeBSD-base repository. */
export interface PkgbaseRepo {
  /** pkg+https://pkg.FreeBSD.org (tsez_pkgbase_mirror or -h), no trailing slash. */
  mirror: string
  /** FreeBSD:MAJOR:ARCH, as pkg computes it from the release (pkg-config(5) ABI). */
  abi: string
  versionMinor: number
  /** __FreeBSD_version of the release's x.y.0: MAJOR*100000 + MINOR*1000. */
  osversion: number
  /** `${mirror}/${ABI}/base_release_${MINOR}` for releases, `base_latest` for everything else. */
  url: string
  /** The fingerprints directory (trusted/ and revoked/ inside), checked when the repo is resolved. */
  fingerprints: string
}

export function parsePkgbaseSet(text: string): PkgbaseSet {
  const known = PKGBASE_SETS.find((set) => set === text)
  if (!known) {
    throw new UsageError(`unknown pkgbase set ${quote(text)}: expected ${PKGBASE_SETS.join(' or ')} (FreeBSD-set-NAME)`)
  }
  return known
}

export function setPackage(set: PkgbaseSet): string {
  return `FreeBSD-set-${set}`
}

/** The directory holding pkgbase-MAJOR/ when tsez_pkgbase_keys is empty: where FreeBSD 14.x/15.x ship them. */
const HOST_KEYS = '/usr/share/keys'

/**
 * Where pkgbase's signing keys for the release's MAJOR are: tsez_pkgbase_keys/pkgbase-MAJOR, or the host's
 * /usr/share/keys/pkgbase-MAJOR (one directory per major, so an upgrade to the next major finds its own keys).
 */
export function fingerprintsDir(config: TsezConfig, release: Release): string {
  return path.join(config.pkgbaseKeys === '' ? HOST_KEYS : config.pkgbaseKeys, `pkgbase-${release.major}`)
}

/** The fingerprints directory for RELEASE, refused (exit 2, saying where keys come from) when it holds no key. */
export async function requirePkgbaseKeys(config: TsezConfig, release: Release): Promise<string> {
  const dir = fingerprintsDir(config, release)
  await requireKeys(dir, release, config.pkgbaseKeys !== '')
  return dir
}

/** The repository of RELEASE for PLATFORM on MIRROR, its keys in FINGERPRINTS (pure: no key is looked at). */
export function describePkgbaseRepo(
  release: Release,
  platform: Platform,
  mirror: string,
  fingerprints: string,
): PkgbaseRepo {
  if (!/^(pkg\+)?(https?|file):\/\/[^\s"'\\]+$/.test(mirror))
    throw new UsageError(`invalid pkgbase mirror ${quote(mirror)}: give a pkg+https://, https:// or file:// URL`)
  const base = mirror.replace(/\/+$/, '')
  const abi = `FreeBSD:${release.major}:${platform.arch}`
  const branch = release.branch === 'RELEASE' ? `base_release_${release.minor}` : 'base_latest'
  return {
    mirror: base,
    abi,
    versionMinor: release.minor,
    osversion: release.major * 100000 + release.minor * 1000,
    url: `${base}/${abi}/${branch}`,
    fingerprints,
  }
}

async function requireKeys(dir: string, release: Release, configured: boolean): Promise<void> {
  const trusted = await readdir(path.join(dir, 'trusted')).catch(() => [] as string[])
  if (trusted.length > 0) return
  const origin =
    `pkgbase keys ship in /usr/share/keys/pkgbase-MAJOR on FreeBSD 14.x/15.x hosts; copy pkgbase-${release.major} ` +
    (configured
      ? 'from a host or image of that release into tsez_pkgbase_keys'
      : 'from a host or image of that release into a directory and point tsez_pkgbase_keys at it')
  throw new UsageError(`no pkgbase signing keys for ${release.name} in ${dir}/trusted (${origin})`)
}

/** The file tsez writes into its own --repo-conf-dir: FreeBSD-base only, signatures checked. */
export function renderRepoConf(repo: PkgbaseRepo): string {
  return [
    '# The FreeBSD-base repository for the tsez basejail. Written by tsez: edits are overwritten.',
    'FreeBSD-base: {',
    `  url: "${repo.url}",`,
    `  mirror_type: "${repo.mirror.startsWith('pkg+') ? 'srv' : 'none'}",`,
    '  signature_type: "fingerprints",',
    `  fingerprints: "${repo.fingerprints}",`,
    '  enabled: yes',
    '}',
    '',
  ].join('\n')
}

/** tsez's repository config dir (never the host's /etc/pkg or /usr/local/etc/pkg/repos). */
export function repoConfDir(config: TsezConfig): string {
  return path.join(config.dbdir, 'pkgbase', 'repos')
}

export function repoConfFile(config: TsezConfig): string {
  return path.join(repoConfDir(config), 'FreeBSD-base.conf')
}

/** `pkg --rootdir ROOT --repo-conf-dir DIR -o ... COMMAND`: pkg told the release, never asked to guess it. */
export function pkgArgv(root: string, confDir: string, repo: PkgbaseRepo, command: string[]): string[] {
  return [
    '--rootdir',
    root,
    '--repo-conf-dir',
    confDir,
    '-o',
    `ABI=${repo.abi}`,
    '-o',
    'IGNORE_OSVERSION=yes',
    '-o',
    `OSVERSION=${repo.osversion}`,
    '-o',
    `VERSION_MINOR=${repo.versionMinor}`,
    '-o',
    'ASSUME_ALWAYS_YES=yes',
    ...command,
  ]
}

/** What a root needs for tsez to count a pkgbase install as done: pkg "succeeding" with nothing is a failure. */
export const PKGBASE_LANDMARKS = ['bin/freebsd-version', 'bin/sh', 'libexec/ld-elf.so.1', 'var/db/pkg/local.sqlite']

/** The base's own package database: it stays with the basejail, out of the newjail and so out of every jail. */
export const BASE_PKG_DB = 'var/db/pkg'
