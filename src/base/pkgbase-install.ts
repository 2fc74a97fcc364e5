// Fills a root from pkgbase: tsez's repository config, `pkg update`, `pkg install FreeBSD-set-…`, then what landed.
import {mkdir, rm} from 'node:fs/promises'
import path from 'node:path'

import {OperationError} from '../errors.js'
import {pathExists, writeFileAtomic} from '../system/files.js'
import {outputTail, type CommandRunner} from '../system/runner.js'
import {pkgArgv, renderRepoConf, setPackage, type PkgbaseRepo, type PkgbaseSet} from './pkgbase.js'

export interface PkgbaseFill {
  root: string
  /** A directory only tsez uses, written here with the FreeBSD-base repository alone. */
  confDir: string
  repo: PkgbaseRepo
  set: PkgbaseSet
  /** Paths (relative to root) that must exist afterwards: pkg exiting 0 with nothing installed is a failure. */
  landmarks: readonly string[]
}

/** The two pkg calls of an install, as --dry-run prints them. */
export function pkgbaseInstallArgvs(fill: Omit<PkgbaseFill, 'landmarks'>): string[][] {
  return [
    pkgArgv(fill.root, fill.confDir, fill.repo, ['update', '-f', '-r', 'FreeBSD-base']),
    pkgArgv(fill.root, fill.confDir, fill.repo, ['install', '-r', 'FreeBSD-base', setPackage(fill.set)]),
  ]
}

/**
 * Writes the repository config, runs pkg update and pkg install into ROOT, checks the landmarks, and empties
 * ROOT/var/cache/pkg (the downloaded packages are not part of the base).
 */
export async function fillFromPkgbase(run: CommandRunner, env: Record<string, string>, fill: PkgbaseFill) {
  await mkdir(fill.confDir, {recursive: true, mode: 0o700})
  await writeFileAtomic(path.join(fill.confDir, 'FreeBSD-base.conf'), renderRepoConf(fill.repo))
  for (const argv of pkgbaseInstallArgvs(fill)) {
    const result = await run.tryRun('pkg', argv, {env})
    const command = argv[argv.indexOf('ASSUME_ALWAYS_YES=yes') + 1]
    if (result.exitCode !== 0) {
      throw new OperationError(
        `pkg ${command} from ${fill.repo.url} failed (exit ${result.exitCode}): ${outputTail(result, 3) || 'no output'}`,
      )
    }
  }
  const missing: string[] = []
  for (const landmark of fill.landmarks) if (!(await pathExists(path.join(fill.root, landmark)))) missing.push(landmark)
  if (missing.length > 0) {
    throw new OperationError(
      `pkg reported success but ${setPackage(fill.set)} from ${fill.repo.url} did not install ${missing.join(', ')}: ` +
        'the repository may not carry this release for this ABI',
    )
  }
  await rm(path.join(fill.root, 'var/cache/pkg'), {recursive: true, force: true})
}
