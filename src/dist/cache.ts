// Where the set cache keeps a release: tsez_cachedir/RELEASE/MACHINE-ARCH/SHA256/FILE, and its MANIFEST beside.
import path from 'node:path'

import type {TsezConfig} from '../config.js'
import type {Mirror, Platform, Release} from './release.js'

/** The cache directory of one release and platform; each verified set sits below it under its sha256. */
export function cacheDirFor(config: TsezConfig, release: Release, platform: Platform): string {
  return path.join(config.cachedir, release.name, `${platform.machine}-${platform.arch}`)
}

/**
 * Where a release's MANIFEST is kept once read from MIRROR, or undefined when it is not kept: published releases
 * never change, snapshots are rebuilt daily (always re-read), and a local mirror is read in place.
 */
export function manifestCachePath(
  config: TsezConfig,
  release: Release,
  platform: Platform,
  mirror: Mirror,
): string | undefined {
  if (mirror.kind !== 'http' || release.snapshot) return undefined
  return path.join(cacheDirFor(config, release, platform), 'MANIFEST')
}
