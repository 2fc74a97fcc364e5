// Atomic replacement of basejail+newjail: build in staging, swap by renames, commit by renaming the release record.
import {mkdir, rename, rm, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {pathExists, removeOwnTree} from '../system/files.js'
import type {CommandRunner} from '../system/runner.js'

/**
 * Layout under tsez_jaildir/.tsez-staging:
 *   full/       the extracted tree; becomes the newjail after the split
 *   basejail/   the split-off shared base
 *   old/        the previous basejail/newjail, moved aside during the swap
 *   swapping    marker: the swap has begun
 * The commit point is the rename of tsez_dbdir/release.json.next to release.json. Until then, recovery puts the
 * previous install back; after it, recovery only deletes what is left.
 */
export interface StagingPaths {
  root: string
  full: string
  basejail: string
  old: string
  swapping: string
}

export function stagingPaths(jaildir: string): StagingPaths {
  const root = path.join(jaildir, '.tsez-staging')
  return {
    root,
    full: path.join(root, 'full'),
    basejail: path.join(root, 'basejail'),
    old: path.join(root, 'old'),
    swapping: path.join(root, 'swapping'),
  }
}

export interface Targets {
  basejail: string
  newjail: string
  record: string
}

export const pendingRecord = (record: string) => `${record}.next`

/**
 * Brings the host back to a consistent state after an interrupted install (run with the host lock held):
 * an unfinished swap is rolled back, a committed one is finished, and stale staging is removed.
 * Returns what it did, for the log.
 */
export async function recoverStaging(run: CommandRunner, staging: StagingPaths, targets: Targets): Promise<string[]> {
  const actions: string[] = []
  if (!(await pathExists(staging.root))) {
    if (await pathExists(pendingRecord(targets.record))) await rm(pendingRecord(targets.record), {force: true})
    return actions
  }
  const committed = !(await pathExists(pendingRecord(targets.record)))
  if ((await pathExists(staging.swapping)) && !committed) {
    const discard = path.join(staging.root, 'discard')
    await mkdir(discard, {recursive: true})
    for (const [name, target, staged] of swapPairs(staging, targets)) {
      // A target whose staged copy is gone was already swapped in: it is the new, uncommitted tree.
      if (!(await pathExists(staged)) && (await pathExists(target))) await rename(target, path.join(discard, name))
      const previous = path.join(staging.old, name)
      if (await pathExists(previous)) await rename(previous, target)
    }
    actions.push('rolled back an interrupted install: the previous basejail and newjail are back')
  }
  await rm(pendingRecord(targets.record), {force: true})
  await removeOwnTree(run, staging.root)
  actions.push(`removed stale staging ${staging.root}`)
  return actions
}

/** Swaps the staged trees in; the previous install (if any) ends up in staging/old until the commit. */
export async function swapIn(staging: StagingPaths, targets: Targets, record: string): Promise<void> {
  await writeFile(pendingRecord(targets.record), record, {mode: 0o644, flush: true})
  await writeFile(staging.swapping, '', {flush: true})
  await mkdir(staging.old)
  for (const [name, target] of swapPairs(staging, targets)) {
    if (await pathExists(target)) await rename(target, path.join(staging.old, name))
  }
  for (const [, target, staged] of swapPairs(staging, targets)) {
    await mkdir(path.dirname(target), {recursive: true, mode: 0o755})
    await rename(staged, target)
  }
  await rename(pendingRecord(targets.record), targets.record)
}

function swapPairs(staging: StagingPaths, targets: Targets): Array<[string, string, string]> {
  return [
    ['basejail', targets.basejail, staging.basejail],
    ['newjail', targets.newjail, staging.full],
  ]
}
