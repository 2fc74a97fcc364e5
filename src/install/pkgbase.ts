// tsez install from pkgbase: the FreeBSD-set-* packages into staging, then the same split, swap and record.
import {mkdir, rename} from 'node:fs/promises'
import path from 'node:path'

import {stringEnv} from '../base/freebsd-update.js'
import {installRecordPath, type InstallRecord} from '../base/install-record.js'
import {
  BASE_PKG_DB,
  DEFAULT_PKGBASE_SET,
  PKGBASE_LANDMARKS,
  PKGBASE_ONLY_MAJOR,
  describePkgbaseRepo,
  fingerprintsDir,
  parsePkgbaseSet,
  repoConfDir,
  requirePkgbaseKeys,
  setPackage,
  type PkgbaseRepo,
  type PkgbaseSet,
} from '../base/pkgbase.js'
import {fillFromPkgbase, pkgbaseInstallArgvs} from '../base/pkgbase-install.js'
import {readUserlandVersion} from '../base/freebsd-update.js'
import {BASEJAIL_DIRS} from '../base/split.js'
import {stagingPaths} from '../base/staging.js'
import type {TsezConfig} from '../config.js'
import type {Release} from '../dist/release.js'
import type {Deps} from '../system/deps.js'
import {pathExists} from '../system/files.js'
import {lockHost} from '../system/lock.js'
import {afterSwap, buildAndSwap, installShippedFlavours, recoverInterruptedInstall} from './apply.js'
import {observeFlavours, observeInstalled, refuseToReplace, type HostFacts} from './observe.js'
import type {InstallResult} from './service.js'

export interface PkgbaseInstallRequest {
  /** -h: the pkg repository server (default tsez_pkgbase_mirror). */
  mirror?: string
  /** --set: minimal-jail (default) or base-jail. */
  set?: string
  force: boolean
  dryRun: boolean
  lockWaitMs: number
}

export type PkgbaseInstallResult = InstallResult & {provider: 'pkgbase'; set: string; repository: string}

/** Whether install takes pkgbase: asked for with --pkgbase, or a release that has no distribution sets (16.0 on). */
export function usesPkgbase(asked: boolean, release: Release | undefined): boolean {
  return asked || (release !== undefined && release.major >= PKGBASE_ONLY_MAJOR)
}

export async function installFromPkgbase(
  config: TsezConfig,
  host: Pick<HostFacts, 'release' | 'platform' | 'installed'>,
  request: PkgbaseInstallRequest,
  deps: Deps,
): Promise<PkgbaseInstallResult> {
  const set = parsePkgbaseSet(request.set ?? DEFAULT_PKGBASE_SET)
  const mirror = request.mirror ?? config.pkgbaseMirror
  const repo = describePkgbaseRepo(host.release, host.platform, mirror, fingerprintsDir(config, host.release))
  // Bad input and missing keys are exit 2 before anything of the host is judged (a mounted base is exit 1).
  await requirePkgbaseKeys(config, host.release)
  await refuseToReplace(config, host.installed, request.force, deps)
  const flavours = await observeFlavours(config, deps)
  const flavoursToInstall = flavours.shippedFlavours.filter((name) => !flavours.presentFlavours.includes(name))
  const lines = describe(config, repo, set, host.installed, flavoursToInstall)
  if (request.dryRun) return resultOf(config, host, set, repo, lines)
  const lock = await lockHost(config.dbdir, deps, 'install', {waitMs: request.lockWaitMs})
  // Every program is noted in the lock: if tsez is killed, the next command waits for what it left running.
  const tracked = {...deps, run: lock.track(deps.run)}
  try {
    await recoverInterruptedInstall(config, tracked)
    const installed = await observeInstalled(config)
    await refuseToReplace(config, installed, request.force, tracked)
    const plan = {basejail: config.basejail, newjail: config.newjail, record: installRecordPath(config)}
    const fill = async (full: string) => {
      const step = tracked.progress.step(`pkg: installing ${setPackage(set)} from ${repo.url}`)
      try {
        const root = {root: full, confDir: repoConfDir(config), repo, set, landmarks: PKGBASE_LANDMARKS}
        await fillFromPkgbase(tracked.run, stringEnv(tracked.env), root)
      } catch (error) {
        step.fail(`pkg: ${setPackage(set)} failed`)
        throw error
      }
      step.succeed(`pkg: ${setPackage(set)} installed from ${repo.url}`)
      return pkgbaseRecord(host, set, repo, await readUserlandVersion(full), tracked.clock.now())
    }
    const record = await buildAndSwap(config, plan, {fill, afterSplit: moveBasePkgDb}, tracked)
    await afterSwap(config, config.basejail)
    const installedFlavours = await installShippedFlavours({flavoursDir: config.flavours, flavoursToInstall}, tracked)
    return resultOf(config, host, set, repo, lines, {record, flavours: installedFlavours})
  } finally {
    await lock.release()
  }
}

/**
 * The base's package database goes with the basejail (BASEJAIL/var/db/pkg), where `pkg --rootdir BASEJAIL`
 * finds it for every later upgrade; the newjail, and so every jail, gets an empty var/db/pkg of its own for its
 * ports and packages.
 */
async function moveBasePkgDb(full: string, basejail: string): Promise<void> {
  const db = path.join(full, BASE_PKG_DB)
  await mkdir(path.dirname(path.join(basejail, BASE_PKG_DB)), {recursive: true, mode: 0o755})
  if (await pathExists(db)) await rename(db, path.join(basejail, BASE_PKG_DB))
  await mkdir(db, {mode: 0o755})
}

function pkgbaseRecord(
  host: Pick<HostFacts, 'release' | 'platform'>,
  set: PkgbaseSet,
  repo: PkgbaseRepo,
  userland: string,
  now: Date,
): InstallRecord {
  return {
    release: host.release.name,
    userland,
    machine: host.platform.machine,
    arch: host.platform.arch,
    mirror: undefined,
    provider: 'pkgbase',
    pkgbase: {set, mirror: repo.mirror, abi: repo.abi, url: repo.url},
    patched: true,
    installedAt: now.toISOString(),
  }
}

function describe(
  config: TsezConfig,
  repo: PkgbaseRepo,
  set: PkgbaseSet,
  replacing: boolean,
  flavours: string[],
): string[] {
  const staging = stagingPaths(config.jaildir)
  const confDir = repoConfDir(config)
  const record = installRecordPath(config)
  return [
    `install ${setPackage(set)} with pkg from ${repo.url} (ABI ${repo.abi}, VERSION_MINOR ${repo.versionMinor})`,
    `check ${repo.fingerprints}/trusted holds the pkgbase signing keys`,
    `mkdir ${staging.full} (mode 0700 staging; stale staging is removed first)`,
    `write ${confDir}/FreeBSD-base.conf (FreeBSD-base only, signature_type fingerprints, fingerprints ${repo.fingerprints})`,
    ...pkgbaseInstallArgvs({root: staging.full, confDir, repo, set}).map((argv) => `run pkg ${argv.join(' ')}`),
    `check ${PKGBASE_LANDMARKS.join(', ')} exist in ${staging.full}; empty its var/cache/pkg`,
    `mkdir ${staging.basejail}, rename ${BASEJAIL_DIRS.join(' ')} into it`,
    `symlink ${staging.full}/DIR -> /basejail/DIR for each of them, usr/ports -> /basejail/usr/ports; mkdir basejail/`,
    `rename ${staging.full}/${BASE_PKG_DB} -> ${staging.basejail}/${BASE_PKG_DB} (the base's package database); mkdir an empty one`,
    `write ${record}.next (provider pkgbase)`,
    ...(replacing ? [`rename ${config.basejail} and ${config.newjail} aside (replaced: --force)`] : []),
    `rename ${staging.basejail} -> ${config.basejail}`,
    `rename ${staging.full} -> ${config.newjail}`,
    `rename ${record}.next -> ${record}`,
    `remove ${staging.root}`,
    ...flavours.map((name) => `copy shipped flavour ${name} -> ${path.join(config.flavours, name)}`),
  ]
}

function resultOf(
  config: TsezConfig,
  host: Pick<HostFacts, 'release' | 'platform'>,
  set: PkgbaseSet,
  repo: PkgbaseRepo,
  lines: string[],
  applied?: {record: InstallRecord; flavours: string[]},
): PkgbaseInstallResult {
  return {
    provider: 'pkgbase',
    set: setPackage(set),
    repository: repo.url,
    release: host.release.name,
    userland: applied?.record.userland ?? null,
    machine: host.platform.machine,
    arch: host.platform.arch,
    mirror: repo.mirror,
    sets: [],
    paths: {
      basejail: config.basejail,
      newjail: config.newjail,
      flavours: config.flavours,
      record: installRecordPath(config),
    },
    flavoursInstalled: applied?.flavours ?? [],
    patched: applied !== undefined,
    dryRun: applied === undefined,
    plan: lines,
  }
}
