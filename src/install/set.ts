// Installs one distribution set into the staging tree: verified bytes → xz -dc -T0 → faithful extraction.
import type {Deps} from '../system/deps.js'
import {pathExists} from '../system/files.js'
import {extractTar, type ExtractedTree} from '../dist/extract.js'
import type {FileFlags} from '../dist/file-flags.js'
import {fetchLimits} from '../dist/http.js'
import {unpackSet} from '../dist/unpack.js'
import type {InstallPlan, PlannedSet} from './plan.js'

export interface InstalledSet {
  name: string
  file: string
  sha256: string
  bytes: number
  entries: number
  fromCache: boolean
  flags: FileFlags[]
  /** The staging tree after this set, for the next set to extract over. */
  tree: ExtractedTree
}

/** Extracts `set` into the staging tree, over `tree` (what earlier sets of this install made there). */
export async function installSet(
  set: PlannedSet,
  plan: InstallPlan,
  deps: Deps,
  tree?: ExtractedTree,
): Promise<InstalledSet> {
  const cached = set.cachePath !== undefined && (await pathExists(set.cachePath))
  const step = deps.progress.step(
    `${set.file}: ${cached ? `from the cache (${set.cachePath})` : `fetching from ${set.from}`}`,
  )
  const began = deps.clock.monotonicMs()
  let downloaded = 0
  let extracted = 0
  const status = () =>
    setProgressLine({
      file: set.file,
      bytes: downloaded,
      entries: extracted,
      totalEntries: set.entries,
      elapsedMs: deps.clock.monotonicMs() - began,
    })
  try {
    const unpacked = await unpackSet(
      deps.run,
      {
        mirror: plan.mirror,
        file: set.file,
        sha256: set.sha256,
        cacheDir: plan.cacheDir,
        onBytes: (bytes) => {
          downloaded = bytes
          step.update(status())
        },
        warn: (line) => deps.log.warn(line),
        limits: fetchLimits(deps.env),
      },
      (tar) =>
        extractTar(tar, plan.full, {
          ownChunks: true, // xz's stdout, read by nobody else
          over: tree,
          onProgress: ({entries}) => {
            extracted = entries
            step.update(status())
          },
        }),
    )
    const {result} = unpacked
    if (set.entries !== undefined && result.entries !== set.entries) {
      deps.log.warn(`${set.file}: MANIFEST lists ${set.entries} entries, the archive had ${result.entries}`)
    }
    const origin = unpacked.fromCache ? 'cache' : set.from
    step.succeed(
      `${set.file}: ${megabytes(unpacked.bytes)} from ${origin}, sha256 ${set.sha256 ? 'verified' : 'NOT verified'}, ${result.entries} entries extracted`,
    )
    return {
      name: set.name,
      file: set.file,
      sha256: unpacked.sha256,
      bytes: unpacked.bytes,
      entries: result.entries,
      fromCache: unpacked.fromCache,
      flags: result.flags,
      tree: result.tree,
    }
  } catch (error) {
    step.fail(`${set.file}: failed`)
    throw error
  }
}

/**
 * The live line of one set: bytes read and their rate, entries extracted out of MANIFEST's count and the share done
 * (the entry count is the one total known before the end: MANIFEST gives no sizes, a cached set no Content-Length).
 */
export function setProgressLine(p: {
  file: string
  bytes: number
  entries: number
  totalEntries: number | undefined
  elapsedMs: number
}): string {
  const rate = p.elapsedMs > 0 ? `, ${megabytes((p.bytes * 1000) / p.elapsedMs)}/s` : ''
  const share =
    p.totalEntries !== undefined && p.totalEntries > 0
      ? `${p.entries}/${p.totalEntries} entries (${Math.min(100, Math.floor((100 * p.entries) / p.totalEntries))}%)`
      : `${p.entries} entries`
  return `${p.file}: ${megabytes(p.bytes)} read${rate}, ${share} extracted`
}

function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`
}
