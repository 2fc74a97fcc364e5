// Reads what install needs from the host and the mirror, without changing anything: release, platform, MANIFEST.
import {readdir} from 'node:fs/promises'
import path from 'node:path'

import type {TsezConfig} from '../config.js'
import {OperationError, UsageError} from '../errors.js'
import {readMirrorFile} from '../dist/fetch.js'
import {chooseManifest} from '../dist/manifest-source.js'
import type {FetchLimits} from '../dist/http.js'
import {parseManifest, type ManifestEntry} from '../dist/manifest.js'
import {
  describeMirror,
  parsePlatform,
  parseRelease,
  resolveMirror,
  type Mirror,
  type Platform,
  type Release,
} from '../dist/release.js'
import {refuseWhileMounted} from '../jail/base-mounts.js'
import type {Deps} from '../system/deps.js'
import {pathExists} from '../system/files.js'

export interface HostFacts {
  release: Release
  platform: Platform
  mirror: Mirror
  /** A basejail or a newjail is already there. */
  installed: boolean
}

/** What was asked for, already parsed; what is missing comes from the host (freebsd-version -u, uname). */
export async function observeHost(
  config: TsezConfig,
  requested: {release: Release | undefined; platform: Platform | undefined; mirror: string | undefined},
  deps: Deps,
): Promise<HostFacts> {
  const release = requested.release ?? (await hostRelease(deps))
  const platform = requested.platform ?? (await hostPlatform(deps))
  return {
    release,
    platform,
    mirror: resolveMirror(requested.mirror ?? config.mirror, release, platform),
    installed: await observeInstalled(config),
  }
}

/** A basejail or a newjail is there (looked at again under the host lock: another install may have made them). */
export async function observeInstalled(config: TsezConfig): Promise<boolean> {
  return (await pathExists(config.basejail)) || (await pathExists(config.newjail))
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

/**
 * An installed base is replaced only with --force (exit 2 otherwise), and never while running jails have it
 * nullfs-mounted: it would be pulled from under them (exit 1).
 */
export async function refuseToReplace(config: TsezConfig, installed: boolean, force: boolean, deps: Deps) {
  if (!installed) return
  if (!force) throw new UsageError(`a basejail is already installed at ${config.basejail}; use --force to replace it`)
  await refuseWhileMounted(config, deps)
}

/**
 * MANIFEST: a trusted one (--manifest, tsez_manifests) checked against the mirror's, else the mirror's (from the
 * cache when install kept it). With --no-verify only the mirror's is read, for the list of sets.
 */
export async function readManifest(
  config: TsezConfig,
  host: Pick<HostFacts, 'release' | 'platform' | 'mirror'>,
  options: {verify: boolean; manifest: string | undefined; limits: FetchLimits; note: (line: string) => void},
): Promise<{entries: Map<string, ManifestEntry> | undefined; trusted: string | undefined}> {
  if (!options.verify) {
    const text = await readMirrorFile(host.mirror, 'MANIFEST', options.limits)
    return {
      entries: text === undefined ? undefined : parseManifest(text, describeMirror(host.mirror)),
      trusted: undefined,
    }
  }
  const choice = await chooseManifest(config, {...host, explicit: options.manifest, ...options})
  if (choice === undefined) {
    throw new OperationError(
      `no MANIFEST at ${describeMirror(host.mirror)} and no trusted one: is ${host.release.name} published for ` +
        `${host.platform.machine}/${host.platform.arch} there? (check -r and -h; --manifest FILE names a trusted MANIFEST)`,
    )
  }
  return {entries: choice.entries, trusted: choice.trusted}
}

/** The flavours tsez ships and those already in tsez_flavours (hidden entries left out). */
export async function observeFlavours(
  config: TsezConfig,
  deps: Deps,
): Promise<{shippedFlavours: string[]; presentFlavours: string[]}> {
  const list = async (dir: string) =>
    (await readdir(dir).catch(() => [] as string[])).filter((name) => !name.startsWith('.'))
  return {
    shippedFlavours: await list(path.join(deps.packageRoot, 'flavours')),
    presentFlavours: await list(config.flavours),
  }
}
