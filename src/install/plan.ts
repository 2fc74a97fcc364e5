// Pure install planning: (request, host facts, MANIFEST) → the list of steps install will take.
import path from 'node:path'

import {installRecordPath} from '../base/install-record.js'
import type {TsezConfig} from '../config.js'
import {OperationError} from '../errors.js'
import {cacheDirFor, manifestCachePath} from '../dist/cache.js'
import type {ManifestEntry} from '../dist/manifest.js'
import {describeMirror, mirrorFileLocation, type Mirror, type Platform, type Release} from '../dist/release.js'
import {BASEJAIL_DIRS} from '../base/split.js'
import {stagingPaths} from '../base/staging.js'

export interface PlannedSet {
  name: string
  file: string
  sha256: string | undefined
  entries: number | undefined
  from: string
  /** The verified copy in the cache (downloads only). */
  cachePath: string | undefined
}

export interface InstallPlan {
  release: Release
  platform: Platform
  mirror: Mirror
  sets: PlannedSet[]
  patch: boolean
  replacing: boolean
  staging: string
  full: string
  stagedBasejail: string
  basejail: string
  newjail: string
  record: string
  cacheDir: string
  /** Where MANIFEST is kept after the install (published releases from http mirrors only). */
  manifestCache: string | undefined
  /** The trusted MANIFEST the sets are checked against, or undefined for the mirror's. */
  trustedManifest: string | undefined
  flavoursToInstall: string[]
  flavoursDir: string
}

export interface InstallFacts {
  release: Release
  platform: Platform
  mirror: Mirror
  /** Parsed MANIFEST, or undefined when the mirror has none (allowed only with --no-verify). */
  manifest: Map<string, ManifestEntry> | undefined
  /** The trusted file MANIFEST came from (--manifest, tsez_manifests), or undefined for the mirror's. */
  trustedManifest?: string | undefined
  withSrc: boolean
  patch: boolean
  installed: boolean
  shippedFlavours: string[]
  presentFlavours: string[]
}

export function planInstall(config: TsezConfig, facts: InstallFacts): InstallPlan {
  const staging = stagingPaths(config.jaildir)
  const cacheDir = cacheDirFor(config, facts.release, facts.platform)
  const wanted = ['base', ...(facts.manifest?.has('lib32') ? ['lib32'] : []), ...(facts.withSrc ? ['src'] : [])]
  const sets = wanted.map((name): PlannedSet => {
    const entry = facts.manifest?.get(name)
    if (facts.manifest && !entry) {
      const source = facts.trustedManifest ?? `MANIFEST at ${describeMirror(facts.mirror)}`
      throw new OperationError(`${source} does not list the ${name} set`)
    }
    const file = entry?.file ?? `${name}.txz`
    return {
      name,
      file,
      sha256: entry?.sha256,
      entries: entry?.entries,
      from: mirrorFileLocation(facts.mirror, file),
      cachePath: entry && facts.mirror.kind === 'http' ? path.join(cacheDir, entry.sha256, file) : undefined,
    }
  })
  return {
    release: facts.release,
    platform: facts.platform,
    mirror: facts.mirror,
    sets,
    patch: facts.patch,
    replacing: facts.installed,
    staging: staging.root,
    full: staging.full,
    stagedBasejail: staging.basejail,
    basejail: config.basejail,
    newjail: config.newjail,
    record: installRecordPath(config),
    cacheDir,
    manifestCache: manifestCachePath(config, facts.release, facts.platform, facts.mirror),
    trustedManifest: facts.trustedManifest,
    flavoursToInstall: facts.shippedFlavours.filter((name) => !facts.presentFlavours.includes(name)),
    flavoursDir: config.flavours,
  }
}

/** The plan as the lines --dry-run prints: every directory, file, download and program. */
export function describeInstallPlan(plan: InstallPlan, updateArgv: (base: string) => string[][]): string[] {
  const lines = [
    `install ${plan.release.name} for ${plan.platform.machine}/${plan.platform.arch} from ${describeMirror(plan.mirror)}`,
  ]
  lines.push(`mkdir ${plan.full} (mode 0700 staging; stale staging is removed first)`)
  for (const set of plan.sets) {
    const from = plan.trustedManifest ? `the trusted ${plan.trustedManifest}` : "the mirror's MANIFEST"
    const check = set.sha256 ? `sha256 ${set.sha256} from ${from}` : 'NOT verified (--no-verify)'
    const cache = set.cachePath ? `, cached as ${set.cachePath}` : ''
    lines.push(`fetch ${set.from} (${check}${cache}) | xz -dc -T0 | extract into ${plan.full}`)
  }
  lines.push(`run chflags -h FLAGS PATH... for every path the sets carry SCHILY.fflags for`)
  if (plan.patch) for (const argv of updateArgv(plan.full)) lines.push(`run PAGER=cat freebsd-update ${argv.join(' ')}`)
  lines.push(`mkdir ${plan.stagedBasejail}, rename ${BASEJAIL_DIRS.join(' ')} into it`)
  lines.push(
    `symlink ${plan.full}/DIR -> /basejail/DIR for each of them, usr/ports -> /basejail/usr/ports; mkdir basejail/`,
  )
  lines.push(`write ${plan.record}.next`)
  if (plan.replacing) lines.push(`rename ${plan.basejail} and ${plan.newjail} aside (replaced: --force)`)
  lines.push(`rename ${plan.stagedBasejail} -> ${plan.basejail}`, `rename ${plan.full} -> ${plan.newjail}`)
  lines.push(`rename ${plan.record}.next -> ${plan.record}`, `remove ${plan.staging}`)
  for (const name of plan.flavoursToInstall)
    lines.push(`copy shipped flavour ${name} -> ${path.join(plan.flavoursDir, name)}`)
  return lines
}
