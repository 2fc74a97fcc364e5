// A fake FreeBSD-base repository for the fake pkg: ABI/base_release_N directories holding a generated base.txz.
import {appendFile, copyFile, mkdir, mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {generateRelease} from '../fixtures/release.js'

export interface PkgbaseRepoFixture {
  /** `-h` / tsez_pkgbase_mirror value: file:///ROOT. */
  mirror: string
  root: string
  /** tsez_pkgbase_keys: holds pkgbase-MAJOR/ of the first release. */
  keys: string
  /** KEYS/pkgbase-MAJOR, whose trusted/ holds one key. */
  fingerprints: string
}

/** The repository directory pkg reads for RELEASE (amd64), as tsez names it. */
export function releaseRepoDir(root: string, release: string): string {
  const [, major = '', minor = '', branch = ''] = /^(\d+)\.(\d+)-([A-Z]+)/.exec(release) ?? []
  const name = branch === 'RELEASE' ? `base_release_${minor}` : 'base_latest'
  return path.join(root, `FreeBSD:${major}:amd64`, name)
}

/** Makes ROOT a repository serving BASE_TXZ as RELEASE, and a keys directory beside it. */
export async function createPkgbaseRepo(root: string, release: string, baseTxz: string): Promise<PkgbaseRepoFixture> {
  await addRelease(root, release, baseTxz)
  const keys = path.join(path.dirname(root), 'pkgbase-keys')
  const fingerprints = path.join(keys, `pkgbase-${release.split('.')[0]}`)
  await mkdir(path.join(fingerprints, 'trusted'), {recursive: true})
  await writeFile(path.join(fingerprints, 'trusted', 'pkgbase.pub'), 'function: "sha256"\nfingerprint: "00"\n')
  return {mirror: `file://${root}`, root, keys, fingerprints}
}

export async function addRelease(root: string, release: string, baseTxz: string): Promise<void> {
  const dir = releaseRepoDir(root, release)
  await mkdir(dir, {recursive: true})
  await copyFile(baseTxz, path.join(dir, 'base.txz'))
}

/** Generates RELEASE's base.txz (no lib32, no src) and serves it from ROOT too. */
export async function addGeneratedRelease(root: string, release: string): Promise<void> {
  const work = await mkdtemp(path.join(tmpdir(), 'tsez-pkgbase-release-'))
  try {
    const generated = await generateRelease(work, {version: release, lib32: false, src: false})
    await addRelease(root, release, generated.sets.base!.path)
  } finally {
    await rm(work, {recursive: true, force: true})
  }
}

/** Points a tsez.conf at the repository's keys and server. */
export async function configurePkgbase(configFile: string, repo: PkgbaseRepoFixture): Promise<void> {
  await appendFile(configFile, `tsez_pkgbase_keys="${repo.keys}"\ntsez_pkgbase_mirror="${repo.mirror}"\n`)
}
