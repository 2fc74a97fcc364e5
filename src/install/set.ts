// Installs one distribution set into the staging tree: verified bytes → xz -dc -T0 → faithful extraction.
import type {Deps} from '../system/deps.js'
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
  const step = deps.progress.step(`${set.file}: fetching from ${set.from}`)
  let downloaded = 0
  let extracted = 0
  const status = () => `${set.file}: ${megabytes(downloaded)} read, ${extracted} entries extracted`
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

function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`
}
