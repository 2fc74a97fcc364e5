// install on ZFS: the staged trees copied into new datasets, swapped in for PARENT/basejail and PARENT/newjail by
// zfs rename, committed by the install record's rename (base/staging.ts); recovery puts the previous ones back.
import {mkdir, readFile, rename, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {copyTree, type CopyFs} from '../system/copy-tree.js'
import {pathExists} from '../system/files.js'
import type {CommandRunner} from '../system/runner.js'
import * as zfs from '../system/zfs.js'
import {pendingRecord, type StagingPaths, type Targets} from './staging.js'

/** Where the datasets go: tsez_zfs_parent and tsez_zfs_properties. */
export interface ZfsLayout {
  parent: string
  properties: readonly string[]
}

type Part = 'basejail' | 'newjail'
const PARTS: Part[] = ['basejail', 'newjail']

/** What each part was before the swap, as the swap marker records it (`basejail dataset`, `newjail none`...). */
type Previous = 'dataset' | 'directory' | 'none'

/**
 * Per part X: the live dataset PARENT/X, the one this install fills (PARENT/X.tsez-new, until renamed to PARENT/X)
 * and the previous one moved aside (PARENT/X.tsez-old, mounted in staging until the commit).
 */
function names(layout: ZfsLayout, part: Part) {
  const live = `${layout.parent}/${part}`
  return {live, fresh: `${live}.tsez-new`, old: `${live}.tsez-old`}
}

const finalMount = (targets: Targets, part: Part) => (part === 'basejail' ? targets.basejail : targets.newjail)
const stagedTree = (staging: StagingPaths, part: Part) => (part === 'basejail' ? staging.basejail : staging.full)
const freshMount = (staging: StagingPaths, part: Part) => path.join(staging.root, `zfs-new-${part}`)
const oldMount = (staging: StagingPaths, part: Part) => path.join(staging.root, `zfs-old-${part}`)

/**
 * Copies the split trees into new datasets, then swaps them in: the previous dataset (or, on a host installed
 * without ZFS, directory) moves aside, the new one is renamed to its name and mounted at the final path, and the
 * record is committed. What was replaced is disposed of by finishDatasetSwap.
 */
export async function swapInDatasets(
  run: CommandRunner,
  layout: ZfsLayout,
  staging: StagingPaths,
  targets: Targets,
  record: string,
  fs?: CopyFs,
): Promise<void> {
  for (const part of PARTS) {
    const {fresh} = names(layout, part)
    await zfs.createDataset(run, fresh, freshMount(staging, part), layout.properties)
    copyTree(stagedTree(staging, part), freshMount(staging, part), {overlay: true, ...(fs ? {fs} : {})})
  }
  const previous = new Map<Part, Previous>()
  for (const part of PARTS) {
    const dataset = await zfs.datasetExists(run, names(layout, part).live)
    previous.set(part, dataset ? 'dataset' : (await pathExists(finalMount(targets, part))) ? 'directory' : 'none')
  }
  await writeFile(pendingRecord(targets.record), record, {mode: 0o644, flush: true})
  const marker = PARTS.map((part) => `${part} ${previous.get(part)}\n`).join('')
  await writeFile(staging.swapping, marker, {flush: true})
  for (const part of PARTS) {
    const {live, fresh, old} = names(layout, part)
    if (previous.get(part) === 'dataset') {
      await zfs.setProperty(run, live, `mountpoint=${oldMount(staging, part)}`)
      await zfs.rename(run, live, old)
    } else if (previous.get(part) === 'directory') {
      // A directory from an install without ZFS: aside as base/staging.ts's swap puts it, put back the same way.
      await mkdir(staging.old, {recursive: true})
      await rename(finalMount(targets, part), path.join(staging.old, part))
    }
    await zfs.rename(run, fresh, live)
    await zfs.setProperty(run, live, `mountpoint=${finalMount(targets, part)}`)
  }
  await rename(pendingRecord(targets.record), targets.record)
}

/**
 * After an interrupted or failed swap (hold the host lock): before the commit, every dataset this install made
 * is destroyed and the previous ones get their names and mountpoints back; after it, the replaced ones are
 * disposed of (finishDatasetSwap). Run before base/staging.ts's recoverStaging, which then removes staging.
 */
export async function recoverDatasetSwap(
  run: CommandRunner,
  layout: ZfsLayout,
  staging: StagingPaths,
  targets: Targets,
  stamp: string,
): Promise<string[]> {
  if (!(await pathExists(staging.root))) return []
  const actions: string[] = []
  // A PARENT/X.tsez-new is always an unfinished swap's (the swap renames both before its commit).
  for (const part of PARTS) {
    const {fresh} = names(layout, part)
    if (await zfs.datasetExists(run, fresh)) {
      await zfs.destroy(run, fresh)
      actions.push(`destroyed ${fresh}, left by an interrupted install`)
    }
  }
  const committed = !(await pathExists(pendingRecord(targets.record)))
  if (committed) return [...actions, ...(await finishDatasetSwap(run, layout, stamp))]
  const previous = await readMarker(staging)
  for (const part of PARTS) {
    const {live, old} = names(layout, part)
    // PARENT/X is this install's when the previous one was renamed aside, or was no dataset at all.
    const ours = (await zfs.datasetExists(run, old)) || (previous.has(part) && previous.get(part) !== 'dataset')
    if (ours && (await zfs.datasetExists(run, live))) {
      await zfs.destroy(run, live)
      actions.push(`destroyed ${live}, swapped in by an interrupted install`)
    }
    if (await zfs.datasetExists(run, old)) await zfs.rename(run, old, live)
    if (previous.get(part) === 'dataset' && (await zfs.mountpointOf(run, live)) !== finalMount(targets, part)) {
      await zfs.setProperty(run, live, `mountpoint=${finalMount(targets, part)}`)
      actions.push(`${live} is back at ${finalMount(targets, part)}`)
    }
  }
  return actions
}

/** The swap marker's record of what each part was before (empty when the swap had not begun). */
async function readMarker(staging: StagingPaths): Promise<Map<Part, Previous>> {
  const text = await readFile(staging.swapping, 'utf8').catch(() => '')
  const previous = new Map<Part, Previous>()
  for (const [part, kind] of text.split('\n').map((line) => line.split(' '))) {
    if (PARTS.includes(part as Part) && ['dataset', 'directory', 'none'].includes(kind ?? '')) {
      previous.set(part as Part, kind as Previous)
    }
  }
  return previous
}

/**
 * Disposes of what a committed swap replaced: the previous basejail is destroyed with its own snapshots; the
 * previous newjail too, unless a jail was cloned from one of its snapshots: then it is kept, unmounted, as
 * PARENT/newjail-STAMP (install never destroys what jails depend on).
 */
export async function finishDatasetSwap(run: CommandRunner, layout: ZfsLayout, stamp: string): Promise<string[]> {
  const actions: string[] = []
  for (const part of PARTS) {
    const {old} = names(layout, part)
    if (!(await zfs.datasetExists(run, old))) continue
    const snapshots = (await zfs.listSnapshots(run, old)).map((s) => s.full)
    const cloned: string[] = []
    for (const snapshot of snapshots) if ((await zfs.clonesOf(run, snapshot)).length > 0) cloned.push(snapshot)
    if (cloned.length > 0) {
      const aside = `${layout.parent}/${part}-${stamp}`
      await zfs.setProperty(run, old, 'mountpoint=none')
      await zfs.rename(run, old, aside)
      actions.push(`kept the previous ${part} as ${aside}: jails were cloned from ${cloned.join(', ')}`)
      continue
    }
    for (const snapshot of snapshots) await zfs.destroy(run, snapshot)
    await zfs.destroy(run, old)
    actions.push(`destroyed the previous ${part} (${old})`)
  }
  return actions
}
