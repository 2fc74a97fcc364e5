// Installs one distribution set into the staging tree: verified bytes → xz -dc -T0 → faithful extraction.
import type {Deps} from '../system/deps.js'
import {extractTar, type ExtractedTree} from '../dist/extract.js'
import {openSet} from '../dist/fetch.js'
import type {FileFlags} from '../dist/file-flags.js'
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
    const source = await openSet({
      mirror: plan.mirror,
      file: set.file,
      sha256: set.sha256,
      cacheDir: plan.cacheDir,
      onBytes: (bytes) => {
        downloaded = bytes
        step.update(status())
      },
    })
    const xz = deps.run.stream('xz', ['-dc', '-T0'], {stdin: source.stream})
    const extraction = extractTar(xz.stdout, plan.full, {
      over: tree,
      onProgress: ({entries}) => {
        extracted = entries
        step.update(status())
      },
    })
    // The first failure is the cause (verification rejects before the truncated stream it leads to); the rest
    // are stopped and awaited, so nothing still writes into the staging tree when it is removed.
    const parts = [source.verified, xz.done, extraction] as const
    const [verified, , result] = await Promise.all(parts).catch(async (error: unknown) => {
      xz.kill()
      source.stream.destroy()
      await Promise.allSettled(parts)
      await source.drop()
      throw error
    })
    await source.keep()
    if (set.entries !== undefined && result.entries !== set.entries) {
      deps.log.warn(`${set.file}: MANIFEST lists ${set.entries} entries, the archive had ${result.entries}`)
    }
    const origin = verified.fromCache ? 'cache' : set.from
    step.succeed(
      `${set.file}: ${megabytes(verified.bytes)} from ${origin}, sha256 ${set.sha256 ? 'verified' : 'NOT verified'}, ${result.entries} entries extracted`,
    )
    return {
      name: set.name,
      file: set.file,
      sha256: verified.sha256,
      bytes: verified.bytes,
      entries: result.entries,
      fromCache: verified.fromCache,
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
