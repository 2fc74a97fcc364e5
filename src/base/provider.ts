// Base providers: which tool patches and upgrades the basejail (freebsd-update or pkg), chosen by the install record.
import type {TsezConfig} from '../config.js'
import {UsageError} from '../errors.js'
import {parseRelease, type Release} from '../dist/release.js'
import {freebsdUpdateCall, freebsdUpdatePaths, renderFreebsdUpdateConf} from './freebsd-update.js'
import {recordPlatform, type InstallRecord} from './install-record.js'
import {
  DEFAULT_PKGBASE_SET,
  describePkgbaseRepo,
  fingerprintsDir,
  parsePkgbaseSet,
  pkgArgv,
  renderRepoConf,
  repoConfDir,
  repoConfFile,
  type PkgbaseRepo,
  type PkgbaseSet,
} from './pkgbase.js'

export type ProviderKind = 'dist-sets' | 'pkgbase'

/** One program run on the basejail by update. */
export interface BaseCommand {
  program: 'freebsd-update' | 'make' | 'pkg'
  argv: string[]
  env: Record<string, string>
  /** Which step this is, for progress and failure reports. */
  phase: 'fetch' | 'upgrade' | 'install' | 'rollback' | 'buildworld' | 'installworld' | 'distribution'
  /** `install`: repeated until freebsd-update exits 2. */
  repeat: boolean
  /** pkg's words for "nothing to upgrade": the basejail is left as it was. */
  upToDate?: RegExp
}

/** Whether a command writes into the basejail; freebsd-update's fetch and upgrade and buildworld only prepare. */
export function touchesBase(command: Pick<BaseCommand, 'program' | 'phase'>): boolean {
  if (command.program === 'pkg') return true
  return command.phase === 'install' || command.phase === 'rollback' || command.phase === 'installworld'
}

/** The config file a provider writes before its program runs (tsez's own, never the host's). */
export interface ProviderConf {
  file: string
  content: string
  /** The directory it lives in (made mode 0700). */
  workdir: string
}

export interface BaseProvider {
  kind: ProviderKind
  /** Written before patch or upgrade runs; TARGET is -U's release. */
  conf(target: Release | undefined, baseHasSrc: boolean): ProviderConf
  /** update -u; RESUME: an install an earlier run began is finished first. */
  patch(resume: boolean): BaseCommand[]
  /** update -U -r TARGET. */
  upgrade(target: Release, resume: boolean): BaseCommand[]
  /** update --rollback (refused, exit 2, where the provider has none). */
  rollback(): BaseCommand[]
  /** Whether update -b/-i (make installworld into the basejail) keeps the base consistent. */
  allowsInstallworld: boolean
  /** The record's fields naming where the base comes from once it runs RELEASE (kept current: Bastille #1556). */
  originAfter(release: Release): Partial<InstallRecord>
}

/** The record's provider: records written before pkgbase name none and mean distribution sets. */
export function providerKind(record: InstallRecord | undefined): ProviderKind {
  return record?.provider === 'pkgbase' ? 'pkgbase' : 'dist-sets'
}

/** The pkgbase facts a record keeps: the set and the mirror it was installed from. */
export function recordedPkgbase(record: InstallRecord): {set: PkgbaseSet; mirror: string | undefined} {
  const field = record.pkgbase as Partial<{set: unknown; mirror: unknown}> | undefined
  const set = typeof field?.set === 'string' ? parsePkgbaseSet(field.set) : DEFAULT_PKGBASE_SET
  return {set, mirror: typeof field?.mirror === 'string' ? field.mirror : undefined}
}

/** The repository RELEASE of the recorded platform comes from, for a pkgbase record (MIRROR: -h overrides). */
export function recordedRepo(
  config: TsezConfig,
  record: InstallRecord,
  release: Release,
  mirror?: string,
): PkgbaseRepo {
  const from = mirror ?? recordedPkgbase(record).mirror ?? config.pkgbaseMirror
  return describePkgbaseRepo(release, recordPlatform(record), from, fingerprintsDir(config, release))
}

/** The provider that made the basejail, as its record says; VERSION is the basejail's userland now. */
export function baseProvider(
  config: TsezConfig,
  record: InstallRecord | undefined,
  version: string,
  mirror?: string,
): BaseProvider {
  return record && providerKind(record) === 'pkgbase'
    ? pkgbaseProvider(config, record, mirror)
    : distSetsProvider(config, version)
}

function distSetsProvider(config: TsezConfig, version: string): BaseProvider {
  const paths = freebsdUpdatePaths(config.dbdir)
  const update = (phase: BaseCommand['phase'], command: string[], repeat = false): BaseCommand => {
    const call = freebsdUpdateCall(config.basejail, paths, version, command)
    return {program: 'freebsd-update', argv: call.argv, env: call.env, phase, repeat}
  }
  const install = update('install', ['install'], true)
  return {
    kind: 'dist-sets',
    conf: (_target, src) => ({
      file: paths.conf,
      content: renderFreebsdUpdateConf({src, workdir: paths.workdir}),
      workdir: paths.workdir,
    }),
    patch: (resume) => (resume ? [install] : [update('fetch', ['fetch']), install]),
    upgrade: (target, resume) => (resume ? [install] : [update('upgrade', ['-r', target.name, 'upgrade']), install]),
    rollback: () => [update('rollback', ['rollback'])],
    allowsInstallworld: true,
    originAfter: () => ({}),
  }
}

/**
 * pkgbase: `pkg --rootdir BASEJAIL upgrade` against tsez's FreeBSD-base repository config, once. There is no
 * freebsd-update here by construction: freebsd-update refuses pkgbase trees, and 16.0 has none.
 */
function pkgbaseProvider(config: TsezConfig, record: InstallRecord, mirror: string | undefined): BaseProvider {
  const installed = parseRelease(record.release)
  const repoFor = (release: Release) => recordedRepo(config, record, release, mirror)
  const upgradeOnce = (release: Release): BaseCommand => ({
    program: 'pkg',
    argv: pkgArgv(config.basejail, repoConfDir(config), repoFor(release), ['upgrade', '-r', 'FreeBSD-base']),
    env: {},
    phase: 'upgrade',
    repeat: false,
  })
  return {
    kind: 'pkgbase',
    conf: (target) => ({
      file: repoConfFile(config),
      content: renderRepoConf(repoFor(target ?? installed)),
      workdir: repoConfDir(config),
    }),
    // Only a patch may find nothing to do: -U always goes on to the /etc merges of the new release.
    patch: () => [{...upgradeOnce(installed), upToDate: /^Your packages are up to date\.?$/m}],
    upgrade: (target) => [upgradeOnce(target)],
    rollback: () => {
      throw new UsageError(
        'the basejail was installed with pkgbase: pkg has no rollback; use a ZFS snapshot, or reinstall with tsez install --pkgbase --force',
      )
    },
    allowsInstallworld: false,
    originAfter: (release) => {
      const repo = repoFor(release)
      const {set} = recordedPkgbase(record)
      return {pkgbase: {set, mirror: repo.mirror, abi: repo.abi, url: repo.url}}
    },
  }
}
