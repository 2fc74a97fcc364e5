// Which MANIFEST the sets are checked against: a trusted one (--manifest, tsez_manifests) before the mirror's own.
import {createHash} from 'node:crypto'
import path from 'node:path'

import type {TsezConfig} from '../config.js'
import {OperationError, UsageError} from '../errors.js'
import {readTrustedFile} from '../trusted-file.js'
import {manifestCachePath} from './cache.js'
import {readMirrorFile} from './fetch.js'
import type {FetchLimits} from './http.js'
import {parseManifest, renderManifest, type ManifestEntry} from './manifest.js'
import {describeMirror, type Mirror, type Platform, type Release} from './release.js'

/** A MANIFEST is a few lines per set; a trusted file larger than this is not one. */
const TRUSTED_MANIFEST_MAX_BYTES = 64 * 1024

export interface ManifestLookup {
  release: Release
  platform: Platform
  mirror: Mirror
  /** --manifest FILE: used before tsez_manifests, and it must exist. */
  explicit?: string | undefined
  limits: FetchLimits
  /** Told once when no trusted MANIFEST exists and the mirror's is used (the usual case: an info line, not a warning). */
  note: (line: string) => void
}

export interface ManifestChoice {
  entries: Map<string, ManifestEntry>
  /** The trusted file the sets are checked against, or undefined when only the mirror's MANIFEST was had. */
  trusted: string | undefined
  /** The mirror's MANIFEST (or the copy kept in the cache) was read and is not in the cache yet. */
  mirrorText: string | undefined
}

/**
 * Where misc/freebsd-release-manifests keeps the MANIFEST of RELEASE for PLATFORM: MACHINE-MACHINE_ARCH-RELEASE
 * (amd64-amd64-14.3-RELEASE, arm64-aarch64-14.3-RELEASE), as poudriere and pot look them up.
 */
export function trustedManifestPath(config: TsezConfig, release: Release, platform: Platform): string {
  return path.join(config.manifests, `${platform.machine}-${platform.arch}-${release.name}`)
}

/**
 * The MANIFEST to verify the sets with, or undefined when there is none anywhere (the caller decides whether
 * --no-verify allows that). A trusted MANIFEST wins; the mirror's is still read and must say the same, or the
 * mirror is refused (exit 1, both sha256 shown): a mirror that serves other sets than the release's is not used.
 */
export async function chooseManifest(config: TsezConfig, lookup: ManifestLookup): Promise<ManifestChoice | undefined> {
  const trusted = await readTrusted(config, lookup)
  const cached = manifestCachePath(config, lookup.release, lookup.platform, lookup.mirror)
  const keptText = cached
    ? await readMirrorFile({kind: 'file', dir: path.dirname(cached)}, 'MANIFEST', lookup.limits)
    : undefined
  const mirrorText = keptText ?? (await readMirrorFile(lookup.mirror, 'MANIFEST', lookup.limits))
  const mirrorSource = keptText === undefined ? describeMirror(lookup.mirror) : `${cached} (kept from the mirror)`
  const fresh = keptText === undefined ? mirrorText : undefined
  if (!trusted) {
    if (mirrorText === undefined) return undefined
    lookup.note(
      `no trusted MANIFEST at ${trustedManifestPath(config, lookup.release, lookup.platform)} ` +
        `(pkg install freebsd-release-manifests, or --manifest FILE): checking the sets against the mirror's MANIFEST`,
    )
    return {entries: parseManifest(mirrorText, mirrorSource), trusted: undefined, mirrorText: fresh}
  }
  const entries = parseTrusted(trusted)
  if (mirrorText !== undefined) {
    const served = parseManifest(mirrorText, mirrorSource)
    if (renderManifest(served) !== renderManifest(entries)) {
      throw new OperationError(
        `the MANIFEST of ${mirrorSource} (sha256 ${sha256(mirrorText)}) differs from the trusted ${trusted.file} ` +
          `(sha256 ${sha256(trusted.text)}): refusing the mirror's sets`,
      )
    }
  }
  return {entries, trusted: trusted.file, mirrorText: fresh}
}

async function readTrusted(
  config: TsezConfig,
  lookup: ManifestLookup,
): Promise<{file: string; text: string} | undefined> {
  const file = lookup.explicit ?? trustedManifestPath(config, lookup.release, lookup.platform)
  const text = await readTrustedFile(file, {
    what: 'trusted MANIFEST',
    source: lookup.explicit === undefined ? '' : '--manifest ',
    missingOk: lookup.explicit === undefined,
    maxBytes: TRUSTED_MANIFEST_MAX_BYTES,
  })
  return text === undefined ? undefined : {file, text}
}

/** A trusted MANIFEST is the admin's own file: one that does not parse is a usage error (exit 2), not a mirror's fault. */
function parseTrusted(trusted: {file: string; text: string}): Map<string, ManifestEntry> {
  try {
    return parseManifest(trusted.text, trusted.file)
  } catch (error) {
    throw new UsageError((error as Error).message)
  }
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex')
}
