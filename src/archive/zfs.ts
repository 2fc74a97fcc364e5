// archive on ZFS: a snapshot of the jail's dataset, cloned read-only to a staging mount and archived from there.
import path from 'node:path'

import type {TsezConfig} from '../config.js'
import {ARCHIVE_SNAPSHOT_PREFIX, noteArchiveSnapshot, type ArchiveZfsStep} from '../jail/archive-journal.js'
import type {JailRecord} from '../jail/store.js'
import type {Deps} from '../system/deps.js'
import {cloneSnapshot, snapshot, zfsStamp} from '../system/zfs.js'

/** The snapshot, clone and mount for RECORD when it lives in a dataset; undefined for a jail in a directory. */
export function planArchiveZfs(record: JailRecord, now: Date, nonce: string): ArchiveZfsStep | undefined {
  const {dataset} = record
  if (dataset === undefined) return undefined
  return {
    dataset,
    snapshot: `${dataset}@${ARCHIVE_SNAPSHOT_PREFIX}${zfsStamp(now)}-${nonce}`,
    clone: `${path.posix.dirname(dataset)}/.tsez-archive-${record.name}.${nonce}`,
    mountpoint: path.join(path.dirname(record.root), `.tsez-archive-${record.name}.${nonce}`),
  }
}

/** --dry-run's lines for STEP: before the archive is packed, then after. */
export function describeArchiveZfs(step: ArchiveZfsStep): {before: string[]; after: string[]} {
  return {
    before: [
      `run zfs snapshot ${step.snapshot}`,
      `run zfs clone -o mountpoint=${step.mountpoint} -o readonly=on ${step.snapshot} ${step.clone}`,
    ],
    after: [`run zfs destroy ${step.clone}`, `remove ${step.mountpoint}`, `run zfs destroy ${step.snapshot}`],
  }
}

/** Notes STEP in the journal, then takes the snapshot and mounts its read-only clone. */
export async function mountArchiveSnapshot(config: TsezConfig, name: string, step: ArchiveZfsStep, deps: Deps) {
  await noteArchiveSnapshot(config, name, step, deps.clock.now())
  const at = step.snapshot.indexOf('@')
  await snapshot(deps.run, step.snapshot.slice(0, at), step.snapshot.slice(at + 1))
  await cloneSnapshot(deps.run, step.snapshot, step.clone, [`mountpoint=${step.mountpoint}`, 'readonly=on'])
}
