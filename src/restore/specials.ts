// What restore applies last, after the extraction and its FIFOs: the file flags of the jail's root (chflags).
import {applyFileFlags} from '../dist/file-flags.js'
import type {CommandRunner} from '../system/runner.js'

/** The flags of the members under TREE (root/), re-applied to the jail's ROOT with chflags -h. */
export async function applyRootFlags(
  run: CommandRunner,
  root: string,
  tree: string,
  flags: ReadonlyArray<{path: string; flags: string}>,
): Promise<void> {
  const prefix = `${tree}/`
  const underRoot = flags
    .filter((entry) => entry.path === tree || entry.path.startsWith(prefix))
    .map((entry) => ({path: entry.path.slice(prefix.length) || '.', flags: entry.flags}))
  await applyFileFlags(run, root, underRoot)
}
