// Pure checks of `tsez snapshot`, `snapshots` and `rollback`: which jail, which dataset, which snapshot, and why not.
import type {TsezConfig} from '../config.js'
import {quote} from '../errors.js'
import type {JailRecord} from '../jail/store.js'

/** A snapshot of a jail's dataset, oldest first. */
export interface JailSnapshot {
  /** The part after @. */
  name: string
  /** DATASET@NAME */
  full: string
  /** ISO 8601, from zfs's creation (seconds). */
  created: string
  /** Bytes only this snapshot holds (zfs used). */
  used: number
}

/** A zfs snapshot component tsez takes: zfs's characters, not starting with `-` (never an option), 200 at most. */
const SNAPSHOT_NAME = /^[A-Za-z0-9_.:][A-Za-z0-9_.:-]{0,199}$/

export const ENABLE_ZFS =
  'set tsez_use_zfs="YES" and tsez_zfs_parent="POOL/DATASET" in tsez.conf; jails created from then on get a dataset'

/** `tsez-YYYYMMDDTHHMMSSZ` of NOW (UTC). */
export function defaultSnapshotName(now: Date): string {
  return `tsez-${now.toISOString().replace(/[-:]|\.\d+/g, '')}`
}

/**
 * Snapshot names tsez takes for its own work and finds again by name: clone's (swept once no clone is left),
 * archive's and update's. A user's snapshot never starts with one of them, so no sweep can take it for tsez's.
 */
export const RESERVED_SNAPSHOT_PREFIXES = ['tsez-clone-', 'tsez-archive-', 'tsez-update-'] as const

export function snapshotNameProblem(name: string): string | undefined {
  const reserved = RESERVED_SNAPSHOT_PREFIXES.find((prefix) => name.startsWith(prefix))
  if (reserved !== undefined) {
    return `snapshot name ${quote(name)}: names starting ${reserved} are tsez's own (clone, archive and update take them); choose another`
  }
  if (SNAPSHOT_NAME.test(name) && name !== '.' && name !== '..') return undefined
  return `snapshot name ${quote(name)}: use letters, digits, _ . : and - (not first), at most 200 characters`
}

/** The jail NAME names (its name or hostname) and its dataset, or why there is none to snapshot. */
export function jailDatasetProblem(
  config: TsezConfig,
  name: string,
  jail: JailRecord | undefined,
  dataset: string | undefined,
): string | undefined {
  if (!config.useZfs) return `tsez is not using ZFS: ${ENABLE_ZFS}`
  if (jail === undefined) return `no jail named ${quote(name)}; tsez list shows the jails`
  if (dataset === undefined) {
    return `jail ${jail.name} has no ZFS dataset of its own at ${jail.root} (made before ZFS was enabled?): only jails created with ${ENABLE_ZFS.split(';')[0]} have snapshots`
  }
  return undefined
}

export interface RollbackCheck {
  target: JailSnapshot
  /** Snapshots taken after the target: zfs rollback -r destroys them. */
  later: JailSnapshot[]
}

/** The target among SNAPSHOTS and those after it, or why the rollback is refused. */
export function checkRollback(
  jail: string,
  snapshots: readonly JailSnapshot[],
  wanted: string,
  options: {destroyLater: boolean; clonesOfLater: readonly string[]},
): RollbackCheck | string {
  const index = snapshots.findIndex((s) => s.name === wanted)
  if (index === -1) {
    const known = snapshots.map((s) => s.name).join(', ') || 'none'
    return `jail ${jail} has no snapshot ${quote(wanted)}; its snapshots: ${known}`
  }
  const later = snapshots.slice(index + 1)
  if (later.length > 0 && !options.destroyLater) {
    return `rolling ${jail} back to ${wanted} destroys the later snapshots ${later.map((s) => s.name).join(', ')}; add --destroy-later to accept that`
  }
  if (options.clonesOfLater.length > 0) {
    return `a later snapshot has clones (${options.clonesOfLater.join(', ')}): tsez never destroys them; delete those first`
  }
  return {target: snapshots[index]!, later}
}
