// Pure planning of update -b/-i: make runs into the staging tree, the release the source tree builds, the /etc merges.
import path from 'node:path'

import type {BaseCommand} from '../base/provider.js'
import {stagingPaths} from '../base/staging.js'
import type {TsezConfig} from '../config.js'
import {parseRelease} from '../dist/release.js'
import {UsageError, quoteUnlessPlain} from '../errors.js'
import {etcMergeArgv, etcTarballPath} from '../etc/etcupdate.js'
import type {EtcSource} from '../etc/tarball.js'
import type {EtcTarget} from './plan.js'

/** The file that names the release a FreeBSD source tree builds (REVISION and BRANCH). */
export const NEWVERS = 'sys/conf/newvers.sh'

/**
 * Make variables of a DESTDIR install, as poudriere and release(7) set them: DB_FROM_SRC takes the users and groups
 * installworld checks from SRC/etc, not from the host's /etc/master.passwd (the staging tree is not the host).
 */
const DESTDIR_VARIABLES = ['DB_FROM_SRC=1']

export interface SourceFacts {
  sourcetree: string
  /** The text of SRC/sys/conf/newvers.sh, or undefined when it is missing. */
  newvers: string | undefined
  /** `sysctl -n hw.ncpu`: buildworld's -j. */
  ncpu: number
  versionBefore: string
  /** Every thin jail (the newjail is replaced by the new tree, never merged). */
  targets: EtcTarget[]
  /** Where each older release's stock /etc comes from, for jails without etcupdate state. */
  etcSources: Map<string, EtcSource>
  tarballExists: (release: string) => boolean
}

export interface SourcePlan {
  action: 'build' | 'installworld'
  basejail: string
  newjail: string
  versionBefore: string
  sourcetree: string
  /** The staging tree installworld and distribution fill: split and swapped in as install does. */
  full: string
  /** The release SRC builds (newvers.sh); the installed world must report it, or nothing is swapped. */
  releaseAfter: string
  /** -b only: built before anything is staged; it never touches the basejail. */
  buildworld: BaseCommand | undefined
  /** installworld then distribution, into `full`. */
  fill: BaseCommand[]
  /** The release changes: the new stock /etc, built once from SRC by etcupdate build, for every jail's merge. */
  etcBuild: {argv: string[]; workdir: string; built: string; tarball: string} | undefined
  /** Stock /etc tarballs of the jails' current releases, for the bootstraps below. */
  tarballs: Array<{source: EtcSource; path: string; exists: boolean}>
  /** Jails without etcupdate state, bootstrapped for their current release before anything is built. */
  bootstraps: Array<{target: EtcTarget; tarball: string}>
  merges: Array<{target: EtcTarget; tarball: string}>
  targets: EtcTarget[]
  parallel: number
}

/** The release SRC/sys/conf/newvers.sh names: REVISION-BRANCH without the patch level ("14.3-RELEASE"). */
export function releaseOfSource(sourcetree: string, newvers: string | undefined): string {
  const file = quoteUnlessPlain(path.join(sourcetree, NEWVERS))
  if (newvers === undefined)
    throw new UsageError(`${file} is missing: ${quoteUnlessPlain(sourcetree)} is not a FreeBSD source tree`)
  const revision = /^REVISION="([^"]*)"/m.exec(newvers)?.[1]
  const branch = /^BRANCH="([^"]*)"/m.exec(newvers)?.[1]
  if (!revision || !branch) throw new UsageError(`${file} names no REVISION and BRANCH: cannot tell its release`)
  return parseRelease(`${revision}-${branch}`).name
}

/** The release part of a userland version (14.3-RELEASE-p2 → 14.3-RELEASE); an unreadable one is kept whole. */
export function releaseOfVersion(version: string): string {
  try {
    return parseRelease(version).name
  } catch {
    return version
  }
}

export function planSourceUpdate(
  config: TsezConfig,
  request: {action: 'build' | 'installworld'; parallel: number},
  facts: SourceFacts,
): SourcePlan {
  const releaseAfter = releaseOfSource(facts.sourcetree, facts.newvers)
  const full = stagingPaths(config.jaildir).full
  const make = (phase: BaseCommand['phase'], argv: string[]): BaseCommand => ({
    program: 'make',
    argv: ['-C', facts.sourcetree, ...argv],
    env: {},
    phase,
    repeat: false,
  })
  const changed = releaseAfter !== releaseOfVersion(facts.versionBefore)
  const tarballs: SourcePlan['tarballs'] = []
  const bootstraps = changed
    ? facts.targets
        .filter((target) => !target.hasEtcState)
        .map((target) => {
          const source = facts.etcSources.get(target.release)
          if (!source) throw new Error(`no etc source planned for ${target.release}`)
          const file = etcTarballPath(config, source.release.name)
          if (!tarballs.some((t) => t.path === file))
            tarballs.push({source, path: file, exists: facts.tarballExists(source.release.name)})
          return {target, tarball: file}
        })
    : []
  const tarball = etcTarballPath(config, releaseAfter)
  const workdir = path.join(path.dirname(tarball), `.build-${releaseAfter}-source`)
  const built = path.join(workdir, path.basename(tarball))
  return {
    action: request.action,
    basejail: config.basejail,
    newjail: config.newjail,
    versionBefore: facts.versionBefore,
    sourcetree: facts.sourcetree,
    full,
    releaseAfter,
    buildworld: request.action === 'build' ? make('buildworld', ['-j', String(facts.ncpu), 'buildworld']) : undefined,
    fill: [
      make('installworld', ['installworld', `DESTDIR=${full}`, ...DESTDIR_VARIABLES]),
      make('distribution', ['distribution', `DESTDIR=${full}`, ...DESTDIR_VARIABLES]),
    ],
    etcBuild: changed
      ? {argv: ['build', '-d', workdir, '-s', facts.sourcetree, built], workdir, built, tarball}
      : undefined,
    tarballs,
    bootstraps,
    merges: changed ? facts.targets.map((target) => ({target, tarball})) : [],
    targets: facts.targets,
    parallel: request.parallel,
  }
}

/** Why no jail's /etc is merged: the source tree builds the release the basejail runs. */
export function sameReleaseNote(plan: Pick<SourcePlan, 'releaseAfter'>): string {
  return `${plan.releaseAfter} again: no jail's /etc is merged (etcupdate runs only when the release changes)`
}

/** The plan as --dry-run prints it: every make and etcupdate run with argv and environment, the swap, the merges. */
export function describeSourcePlan(plan: SourcePlan, record: string): string[] {
  const run = (command: BaseCommand) => {
    const env = Object.entries(command.env).map(([key, value]) => `${key}=${value} `)
    return `run ${env.join('')}${command.program} ${command.argv.join(' ')}`
  }
  const lines = [
    `update ${plan.basejail} (${plan.versionBefore}) by ${plan.action} from ${plan.sourcetree} (${plan.releaseAfter}, ${NEWVERS})`,
    'run sysctl -n kern.securelevel (refuse when > 0)',
    'run mount -p (refuse while a running jail has the basejail mounted)',
  ]
  for (const t of plan.tarballs)
    lines.push(
      t.exists ? `reuse ${t.path}` : `build ${t.path} from ${t.source.release.name} base.txz (verified, cached)`,
    )
  for (const {target, tarball} of plan.bootstraps) lines.push(`run etcupdate extract -D ${target.root} -t ${tarball}`)
  if (plan.buildworld) lines.push(`${run(plan.buildworld)} (the basejail is not touched)`)
  lines.push(`mkdir ${plan.full} (staging: the basejail stays as it is until the swap)`)
  for (const command of plan.fill) lines.push(run(command))
  lines.push(`check ${plan.full}/bin/freebsd-version reports ${plan.releaseAfter}`)
  if (plan.etcBuild)
    lines.push(`run etcupdate ${plan.etcBuild.argv.join(' ')}`, `rename it to ${plan.etcBuild.tarball}`)
  lines.push(
    `split ${plan.full} into basejail and newjail as tsez install does`,
    `swap ${plan.basejail} and ${plan.newjail} for the new trees (the old ones are removed once committed)`,
    `write ${record} (release and userland from the new bin/freebsd-version, source ${plan.sourcetree})`,
  )
  if (plan.merges.length === 0) lines.push(`note ${sameReleaseNote(plan)}`)
  for (const {target, tarball} of plan.merges)
    lines.push(`run etcupdate ${etcMergeArgv(target.root, tarball).join(' ')}`)
  return lines
}
