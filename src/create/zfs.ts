// create on ZFS: the jail's root is a clone of a snapshot of the newjail dataset (no copy), taken once per change.
import type {TsezConfig} from '../config.js'
import {quote} from '../errors.js'
import {CREATE_MARK} from '../jail/journal.js'
import type {Deps} from '../system/deps.js'
import * as zfs from '../system/zfs.js'

/** What one `zfs list` of the newjail dataset and the jail's says, for one create. */
export interface ZfsObservation {
  /** The newjail dataset and its snapshots, and the jail's dataset when it exists. */
  names: string[]
  /** The newjail dataset changed since its newest snapshot (its `written` is not 0), or has none. */
  templateChanged: boolean
}

/** The newjail's snapshot to clone and a stated observation: the one a create found current last time. */
export function assumeCurrent(config: TsezConfig, snapshot: string): ZfsObservation {
  return {names: [templateDataset(config), snapshot], templateChanged: false}
}

/**
 * Whether SEEN shows SNAPSHOT as the newjail as it is now: the newjail exists, SNAPSHOT is its newest snapshot
 * (of any name: one taken after it may hide changes from `written`) and nothing was written since.
 */
export function showsCurrent(config: TsezConfig, seen: ZfsObservation, snapshot: string): boolean {
  const template = templateDataset(config)
  return seen.names.includes(template) && !seen.templateChanged && newestSnapshotOf(template, seen.names) === snapshot
}

function newestSnapshotOf(template: string, names: readonly string[]): string | undefined {
  return names.filter((name) => name.startsWith(`${template}@`)).at(-1)
}

/** The clone a ZFS create makes; the snapshot is taken first when `takeSnapshot`. */
export interface ZfsCloneStep {
  dataset: string
  /** The clone's tsez:create value (CREATE_MARK): what makes it this create's for the sweep of a killed one. */
  mark: string
  template: string
  /** DATASET@NAME of the newjail the clone comes from. */
  snapshot: string
  takeSnapshot: boolean
  /** `-o` properties: the mountpoint (the jail's root), --quota, tsez_zfs_properties, the mark. */
  properties: string[]
}

export const templateDataset = (config: TsezConfig) => `${config.zfsParent}/newjail`

/**
 * One `zfs list` of exactly what a create of NAME needs: the newjail dataset with its snapshots and `written`, and
 * PARENT/NAME. Not the whole parent: that listed every jail and its snapshots, and grew with them. zfs lists the
 * targets that exist and says `cannot open 'X': dataset does not exist` (exit 1) for each other one, so PARENT/NAME
 * missing, the usual case, is exit 1 too. Anything else zfs says leaves nothing known: no dataset is then seen.
 */
export async function observeZfs(config: TsezConfig, name: string, deps: Deps): Promise<ZfsObservation> {
  const template = templateDataset(config)
  const dataset = `${config.zfsParent}/${name}`
  const args = ['list', '-H', '-p', '-o', 'name,written', '-t', 'filesystem,snapshot', '-d', '1', template, dataset]
  const result = await deps.run.tryRun('zfs', args)
  const said = result.stderr.split('\n').filter(Boolean)
  const understood = said.every(
    (line) =>
      line.startsWith(`cannot open '${dataset}': `) || line === `cannot open '${template}': dataset does not exist`,
  )
  if (!understood || (result.exitCode !== 0 && said.length === 0)) return {names: [], templateChanged: true}
  const rows = result.stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split('\t'))
  const written = rows.find(([row]) => row === template)?.[1]
  return {names: rows.map(([row = '']) => row), templateChanged: written !== '0'}
}

/** The jail a ZFS create is for, as planCreate knows it. */
export interface ZfsJail {
  name: string
  root: string
  /** --quota, unchecked. */
  quota: string | undefined
  /** -x: the root exists; nothing is cloned. */
  existingRoot: boolean
  /** The template's etcupdate state is recorded first: the newjail changes before the clone. */
  templateEtc: boolean
  now: Date
  /** A random value: the clone's tsez:create. */
  mark: string
}

/**
 * The clone for JAIL (undefined on UFS and with -x), or every problem: a bad --quota, --quota without ZFS, no
 * newjail dataset (tsez install makes PARENT/newjail), or PARENT/NAME existing (tsez never takes over, nor
 * destroys, a dataset it did not make). The newjail's newest snapshot is reused when it is tsez's (tsez-*) and
 * the newjail has not changed since. SEEN undefined: the pool not looked at yet (create's check before the host lock), so no
 * problem with it is known and the step is provisional: a snapshot to take.
 */
export function planZfsClone(
  config: TsezConfig,
  jail: ZfsJail,
  seen: ZfsObservation | undefined,
): ZfsCloneStep | undefined | string[] {
  const problems: string[] = []
  if (jail.quota !== undefined && !zfs.isZfsSize(jail.quota)) {
    problems.push(`--quota ${quote(jail.quota)} is not a ZFS size such as 10G, 512M or 1.5T`)
  }
  if (jail.quota !== undefined && !config.useZfs) {
    problems.push(
      '--quota needs ZFS: set tsez_use_zfs="YES" and tsez_zfs_parent in tsez.conf, then tsez install --force',
    )
  } else if (jail.quota !== undefined && jail.existingRoot) {
    problems.push('--quota sets the quota of the dataset create clones: it cannot go with -x')
  }
  if (!config.useZfs || jail.existingRoot) return problems.length > 0 ? problems : undefined
  const names = seen?.names ?? []
  const template = templateDataset(config)
  const dataset = `${config.zfsParent}/${jail.name}`
  if (seen !== undefined && !names.includes(template)) {
    problems.push(
      `tsez_use_zfs is YES but there is no dataset ${template} for the newjail; run tsez install --force to ` +
        `install into ${config.zfsParent}`,
    )
  }
  if (names.includes(dataset)) {
    problems.push(`dataset ${dataset} exists already and is not a tsez jail; rename or destroy it first`)
  }
  const tooLong = zfs.zfsNameProblem(dataset, 'dataset')
  if (tooLong !== undefined) problems.push(tooLong)
  if (problems.length > 0) return problems
  const newest = newestSnapshotOf(template, names)
  const reusable = newest?.startsWith(`${template}@tsez-`) === true ? newest : undefined
  const takeSnapshot = reusable === undefined || seen?.templateChanged !== false || jail.templateEtc
  return {
    dataset,
    mark: jail.mark,
    template,
    snapshot: takeSnapshot || reusable === undefined ? freeSnapshotName(template, jail.now, names) : reusable,
    takeSnapshot,
    properties: [
      `mountpoint=${jail.root}`,
      ...(jail.quota === undefined ? [] : [`quota=${jail.quota}`]),
      ...config.zfsProperties,
      `${CREATE_MARK}=${jail.mark}`,
    ],
  }
}

/** TEMPLATE@tsez-YYYYMMDDTHHMMSSZ, with -2, -3... when a snapshot of that second exists. */
function freeSnapshotName(template: string, now: Date, names: readonly string[]): string {
  const base = `${template}@tsez-${zfs.zfsStamp(now)}`
  let candidate = base
  for (let n = 2; names.includes(candidate); n++) candidate = `${base}-${n}`
  return candidate
}

/** --dry-run's lines for the clone. */
export function describeZfsClone(step: ZfsCloneStep): string[] {
  const options = step.properties.flatMap((property) => ['-o', property]).join(' ')
  return [
    ...(step.takeSnapshot ? [`run zfs snapshot ${step.snapshot} (the newjail as it is now)`] : []),
    `run zfs clone ${options} ${step.snapshot} ${step.dataset}`,
  ]
}

/** Takes the newjail's snapshot when planned, then clones it (mounted at the jail's root). */
export async function cloneTemplate(step: ZfsCloneStep, deps: Deps): Promise<void> {
  if (step.takeSnapshot) {
    const at = step.snapshot.indexOf('@')
    await zfs.snapshot(deps.run, step.snapshot.slice(0, at), step.snapshot.slice(at + 1))
  }
  await zfs.cloneSnapshot(deps.run, step.snapshot, step.dataset, step.properties)
}
