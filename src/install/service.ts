// tsez install: resolve the request against the host, plan it, and carry it out atomically.
import {cp, mkdir, readdir, rename, rm} from 'node:fs/promises'
import path from 'node:path'

import {installRecordPath} from '../base/install-record.js'
import {clearPendingStep} from '../base/update-journal.js'
import {forgetBasedir} from '../base/update-state.js'
import {refuseRaisedSecurelevel} from '../base/securelevel.js'
import type {TsezConfig} from '../config.js'
import {
  fetchAndInstall,
  freebsdUpdateCall,
  freebsdUpdatePaths,
  readUserlandVersion,
  renderFreebsdUpdateConf,
} from '../base/freebsd-update.js'
import {OperationError, UsageError} from '../errors.js'
import type {Deps} from '../system/deps.js'
import {pathExists, removeOwnTree, writeFileAtomic} from '../system/files.js'
import {lockHost} from '../system/lock.js'
import {parseMountP} from '../jail/fstab.js'
import {applyFileFlags} from '../dist/file-flags.js'
import {cacheDirFor} from '../dist/cache.js'
import {readMirrorFile, sweepPartials} from '../dist/fetch.js'
import {parseManifest, type ManifestEntry} from '../dist/manifest.js'
import {describeInstallPlan, planInstall, type InstallPlan} from './plan.js'
import {
  describeMirror,
  parsePlatform,
  parseRelease,
  resolveMirror,
  type Mirror,
  type Platform,
  type Release,
} from '../dist/release.js'
import {installSet, type InstalledSet} from './set.js'
import {splitWorld} from '../base/split.js'
import {recoverStaging, stagingPaths, swapIn} from '../base/staging.js'

export interface InstallRequest {
  release?: string
  platform?: string
  mirror?: string
  src: boolean
  patch: boolean
  verify: boolean
  force: boolean
  dryRun: boolean
  lockWaitMs: number
}

export interface InstallResult {
  release: string
  userland: string | null
  machine: string
  arch: string
  mirror: string
  sets: Array<{
    name: string
    file: string
    sha256: string | null
    bytes: number | null
    entries: number | null
    cached: boolean
  }>
  paths: {basejail: string; newjail: string; flavours: string; record: string}
  flavoursInstalled: string[]
  patched: boolean
  dryRun: boolean
  plan: string[]
}

export async function installBase(config: TsezConfig, request: InstallRequest, deps: Deps): Promise<InstallResult> {
  const requested = {
    release: request.release === undefined ? undefined : parseRelease(request.release),
    platform: request.platform === undefined ? undefined : parsePlatform(request.platform),
  }
  const release = requested.release ?? (await hostRelease(deps))
  const platform = requested.platform ?? (await hostPlatform(deps))
  const mirror = resolveMirror(request.mirror ?? config.mirror, release, platform)
  const installed = (await pathExists(config.basejail)) || (await pathExists(config.newjail))
  if (installed && !request.force) {
    throw new UsageError(`a basejail is already installed at ${config.basejail}; use --force to replace it`)
  }
  if (request.patch) {
    await refuseRaisedSecurelevel(
      deps.run,
      'freebsd-update cannot patch the new base; use --no-patch or lower the securelevel',
    )
  }
  if (installed) await refuseWhileMounted(config, deps)
  if (!request.verify) deps.log.warn('--no-verify: distribution sets will NOT be checked against MANIFEST sha256 sums')

  const facts = {release, platform, mirror, withSrc: request.src, patch: request.patch, installed}
  if (request.dryRun) {
    const plan = planInstall(config, {
      ...facts,
      ...(await flavourFacts(config, deps)),
      manifest: await readManifest(config, facts, request.verify),
    })
    return resultOf(
      plan,
      [],
      null,
      [],
      true,
      describeInstallPlan(plan, (base) => updateArgvs(config, base)),
    )
  }

  const lock = await lockHost(config.dbdir, deps, 'install', {waitMs: request.lockWaitMs})
  try {
    const staging = stagingPaths(config.jaildir)
    const record = installRecordPath(config)
    for (const action of await recoverStaging(deps.run, staging, {...config, record})) deps.log.info(action)
    await sweepPartials(cacheDirFor(config, release, platform))
    const manifest = await readManifest(config, facts, request.verify)
    const plan = planInstall(config, {...facts, ...(await flavourFacts(config, deps)), manifest})
    const {sets, userland} = await buildAndSwap(config, plan, deps)
    // freebsd-update's state and tsez's note for the basejail path describe the tree just replaced: a half-done
    // install resumed, or a rollback undone, on the new tree would mix the two.
    await forgetBasedir(freebsdUpdatePaths(config.dbdir).workdir, plan.basejail)
    await clearPendingStep(config)
    await cacheManifest(plan, manifest)
    const flavours = await installShippedFlavours(plan, deps)
    return resultOf(plan, sets, userland, flavours, false, [])
  } finally {
    await lock.release()
  }
}

async function buildAndSwap(config: TsezConfig, plan: InstallPlan, deps: Deps) {
  const staging = stagingPaths(config.jaildir)
  const targets = {basejail: plan.basejail, newjail: plan.newjail, record: plan.record}
  try {
    await mkdir(config.jaildir, {recursive: true, mode: 0o700})
    await mkdir(staging.root, {mode: 0o700})
    await mkdir(staging.full, {mode: 0o755})
    const sets: InstalledSet[] = []
    for (const set of plan.sets) sets.push(await installSet(set, plan, deps, sets.at(-1)?.tree))
    await applyFileFlags(
      deps.run,
      staging.full,
      sets.flatMap((s) => s.flags),
    )
    let userland = await readUserlandVersion(staging.full)
    if (plan.patch) {
      await patchTree(config, plan, staging.full, userland, deps)
      userland = await readUserlandVersion(staging.full)
    }
    await splitWorld(staging.full, staging.basejail)
    const record = {
      release: plan.release.name,
      userland,
      machine: plan.platform.machine,
      arch: plan.platform.arch,
      mirror: describeMirror(plan.mirror),
      sets: sets.map(({name, file, sha256, entries}) => ({name, file, sha256, entries})),
      patched: plan.patch,
      installedAt: deps.clock.now().toISOString(),
    }
    await mkdir(path.dirname(plan.record), {recursive: true, mode: 0o700})
    await swapIn(staging, targets, JSON.stringify(record, null, 2) + '\n')
    await removeOwnTree(deps.run, staging.root)
    return {sets, userland}
  } catch (error) {
    // Nothing half-made may remain: roll back a begun swap, then drop the staging tree.
    await recoverStaging(deps.run, staging, targets).catch((cleanup: Error) =>
      deps.log.warn(`cleanup failed: ${cleanup.message}`),
    )
    throw error
  }
}

async function patchTree(config: TsezConfig, plan: InstallPlan, root: string, userland: string, deps: Deps) {
  const paths = freebsdUpdatePaths(config.dbdir)
  await mkdir(paths.workdir, {recursive: true, mode: 0o700})
  await writeFileAtomic(
    paths.conf,
    renderFreebsdUpdateConf({src: plan.sets.some((s) => s.name === 'src'), workdir: paths.workdir}),
  )
  const step = deps.progress.step(`patching ${plan.release.name} with freebsd-update`)
  try {
    const {installRounds} = await fetchAndInstall(deps.run, deps.env, root, paths, userland, ['fetch'])
    step.succeed(
      `freebsd-update: ${installRounds ? `installed updates in ${installRounds} round(s)` : 'already up to date'}`,
    )
  } catch (error) {
    step.fail(`freebsd-update failed`)
    throw error
  } finally {
    // freebsd-update filed its state under the staging path, which no later run will name: not kept.
    await forgetBasedir(paths.workdir, root)
  }
}

function updateArgvs(config: TsezConfig, base: string): string[][] {
  const paths = freebsdUpdatePaths(config.dbdir)
  const call = (command: string) => freebsdUpdateCall(base, paths, 'VERSION', [command]).argv
  return [call('fetch'), [...call('install'), '(repeated until it exits 2)']]
}

async function readManifest(
  config: TsezConfig,
  facts: {release: Release; platform: Platform; mirror: Mirror},
  verify: boolean,
): Promise<Map<string, ManifestEntry> | undefined> {
  const cached = cachedManifestPath(config, facts)
  const text =
    (cached && (await readMirrorFile({kind: 'file', dir: path.dirname(cached)}, 'MANIFEST'))) ??
    (await readMirrorFile(facts.mirror, 'MANIFEST'))
  if (text === undefined) {
    if (verify) {
      throw new OperationError(
        `no MANIFEST at ${describeMirror(facts.mirror)}: cannot verify the sets (--no-verify skips verification)`,
      )
    }
    return undefined
  }
  return parseManifest(text, describeMirror(facts.mirror))
}

/** Published releases never change, so their MANIFEST is kept; snapshots are rebuilt daily and always re-read. */
function cachedManifestPath(config: TsezConfig, facts: {release: Release; platform: Platform; mirror: Mirror}) {
  if (facts.mirror.kind !== 'http' || facts.release.snapshot) return undefined
  return path.join(config.cachedir, facts.release.name, `${facts.platform.machine}-${facts.platform.arch}`, 'MANIFEST')
}

async function cacheManifest(plan: InstallPlan, manifest: Map<string, ManifestEntry> | undefined) {
  if (!manifest || plan.mirror.kind !== 'http' || plan.release.snapshot) return
  const lines = [...manifest.values()].map((e) =>
    [e.file, e.sha256, e.entries, e.name, `"${e.description}"`, e.selected ? 'on' : 'off'].join('\t'),
  )
  await writeFileAtomic(path.join(plan.cacheDir, 'MANIFEST'), lines.join('\n') + '\n')
}

async function hostRelease(deps: Deps): Promise<Release> {
  const result = await deps.run.tryRun('freebsd-version', ['-u'])
  if (result.exitCode !== 0) {
    throw new UsageError(
      "cannot tell the host's FreeBSD release (freebsd-version -u failed); give -r RELEASE, e.g. -r 14.3-RELEASE",
    )
  }
  return parseRelease(result.stdout.trim())
}

async function hostPlatform(deps: Deps): Promise<Platform> {
  const machine = await deps.run.tryRun('uname', ['-m'])
  const arch = await deps.run.tryRun('uname', ['-p'])
  if (machine.exitCode !== 0 || arch.exitCode !== 0)
    throw new UsageError('cannot tell the host platform (uname failed); give -a MACHINE/ARCH')
  return parsePlatform(`${machine.stdout.trim()}/${arch.stdout.trim()}`)
}

/** Replacing a basejail that running jails have nullfs-mounted would pull it from under them. */
async function refuseWhileMounted(config: TsezConfig, deps: Deps) {
  const result = await deps.run.run('mount', ['-p'])
  const users = parseMountP(result.stdout).filter(
    (m) => m.device === config.basejail || m.mountPoint.startsWith(config.basejail + '/'),
  )
  if (users.length > 0) {
    throw new OperationError(
      `the basejail is mounted at ${users.map((m) => m.mountPoint).join(', ')}: stop those jails before replacing it`,
    )
  }
}

async function flavourFacts(config: TsezConfig, deps: Deps) {
  const list = async (dir: string) =>
    (await readdir(dir).catch(() => [] as string[])).filter((name) => !name.startsWith('.'))
  return {
    shippedFlavours: await list(path.join(deps.packageRoot, 'flavours')),
    presentFlavours: await list(config.flavours),
  }
}

/** Copies shipped flavours that are missing (never over a user's flavour), each through a temp dir and a rename. */
async function installShippedFlavours(plan: InstallPlan, deps: Deps): Promise<string[]> {
  await mkdir(plan.flavoursDir, {recursive: true, mode: 0o755})
  for (const name of plan.flavoursToInstall) {
    const temp = path.join(plan.flavoursDir, `.tsez-tmp-${name}`)
    await rm(temp, {recursive: true, force: true})
    await cp(path.join(deps.packageRoot, 'flavours', name), temp, {
      recursive: true,
      preserveTimestamps: true,
      verbatimSymlinks: true,
    })
    await rename(temp, path.join(plan.flavoursDir, name))
  }
  return plan.flavoursToInstall
}

function resultOf(
  plan: InstallPlan,
  sets: InstalledSet[],
  userland: string | null,
  flavours: string[],
  dryRun: boolean,
  lines: string[],
): InstallResult {
  return {
    release: plan.release.name,
    userland,
    machine: plan.platform.machine,
    arch: plan.platform.arch,
    mirror: describeMirror(plan.mirror),
    sets: plan.sets.map((planned) => {
      const done = sets.find((s) => s.name === planned.name)
      return {
        name: planned.name,
        file: planned.file,
        sha256: done?.sha256 ?? planned.sha256 ?? null,
        bytes: done?.bytes ?? null,
        entries: done?.entries ?? planned.entries ?? null,
        cached: done?.fromCache ?? false,
      }
    }),
    paths: {basejail: plan.basejail, newjail: plan.newjail, flavours: plan.flavoursDir, record: plan.record},
    flavoursInstalled: flavours,
    patched: plan.patch && !dryRun,
    dryRun,
    plan: lines,
  }
}
