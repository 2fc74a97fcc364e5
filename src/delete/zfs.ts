// delete -w of a jail in its own dataset: zfs destroy of exactly that dataset (its own snapshots first), never -r/-R.
import type {TsezConfig} from '../config.js'
import type {JailRecord} from '../jail/store.js'
import type {Deps} from '../system/deps.js'
import * as zfs from '../system/zfs.js'

/** What zfs says about a jail's dataset, for delete -w. */
export interface DatasetFacts {
  dataset: string
  exists: boolean
  /** Its own snapshots (tsez snapshot), oldest first, each with the file systems cloned from it. */
  snapshots: Array<{name: string; clones: string[]}>
  /** File systems below it (zfs destroy refuses them; tsez never makes any). */
  children: string[]
  /** The newjail snapshot it was cloned from, with the other clones of it and whether it is the newest. */
  origin?: {snapshot: string; otherClones: string[]; newest: boolean}
}

export async function observeDataset(config: TsezConfig, record: JailRecord, deps: Deps): Promise<DatasetFacts> {
  const dataset = record.dataset ?? ''
  if (!(await zfs.datasetExists(deps.run, dataset))) return {dataset, exists: false, snapshots: [], children: []}
  const children = await zfs.childrenOf(deps.run, dataset)
  const snapshots = []
  for (const {full} of await zfs.listSnapshots(deps.run, dataset)) {
    snapshots.push({name: full, clones: await zfs.clonesOf(deps.run, full)})
  }
  const origin = await zfs.originOf(deps.run, dataset)
  const template = `${config.zfsParent}/newjail`
  if (origin === undefined || !origin.startsWith(`${template}@tsez-`))
    return {dataset, exists: true, snapshots, children}
  const otherClones = (await zfs.clonesOf(deps.run, origin)).filter((clone) => clone !== dataset)
  const ours = (await zfs.listSnapshots(deps.run, template)).filter(({name}) => name.startsWith('tsez-'))
  const newest = ours.at(-1)?.full === origin
  return {dataset, exists: true, snapshots, children, origin: {snapshot: origin, otherClones, newest}}
}

/** delete -w's zfs destroy targets for RECORD's dataset, or undefined when it does not exist (its root is a plain tree). */
export async function datasetTargetsOf(
  config: TsezConfig,
  record: JailRecord,
  deps: Deps,
): Promise<string[] | {failure: string} | undefined> {
  const facts = await observeDataset(config, record, deps)
  return facts.exists ? destroyTargets(config, facts) : undefined
}

/**
 * The zfs destroy targets, in order, or why not: only a dataset under tsez_zfs_parent that is not the basejail or
 * newjail; a snapshot a jail was cloned from, or a dataset below it, stops the delete. The template's snapshot
 * goes too when this was its last clone and a newer one exists (the newest stays for the next create).
 */
export function destroyTargets(config: TsezConfig, facts: DatasetFacts): string[] | {failure: string} {
  const {dataset} = facts
  const reserved = ['basejail', 'newjail'].map((name) => `${config.zfsParent}/${name}`)
  if (!dataset.startsWith(`${config.zfsParent}/`) || reserved.includes(dataset)) {
    return {failure: `the record names dataset ${dataset}, which is not a jail dataset under ${config.zfsParent}`}
  }
  if (facts.children.length > 0) {
    return {failure: `dataset ${dataset} has datasets below it (${facts.children.join(', ')}); destroy them first`}
  }
  const cloned = facts.snapshots.filter((snapshot) => snapshot.clones.length > 0)
  if (cloned.length > 0) {
    const uses = cloned.map((s) => `${s.name} by ${s.clones.join(', ')}`).join('; ')
    return {failure: `snapshots of ${dataset} are cloned (${uses}); delete those jails first`}
  }
  const origin = facts.origin
  const dropOrigin = origin !== undefined && origin.otherClones.length === 0 && !origin.newest
  return [...facts.snapshots.map((s) => s.name), dataset, ...(dropOrigin ? [origin.snapshot] : [])]
}
