// Pure planning of `tsez clone`: (request, observed host) → every problem at once, or the exact plan to carry out.
import path from 'node:path'

import type {TsezConfig} from '../config.js'
import {quote} from '../errors.js'
import {jailConfProblems} from '../jail/conf-render.js'
import {jailConfSpecFor} from '../jail/conf-spec.js'
import {fstabFieldProblem} from '../jail/fstab.js'
import {formatJailAddress, parseIpList} from '../jail/ip.js'
import {journalFile} from '../jail/journal.js'
import {hostnameTakenProblem, jailNameFor, validateJailName} from '../jail/names.js'
import type {Ownership} from '../jail/ownership.js'
import {rootPlacementProblems, type RootSurroundings} from '../jail/roots.js'
import {FIRSTBOOT_DIR, jailFiles, type JailRecord} from '../jail/store.js'
import {zfsNameProblem} from '../system/zfs.js'

export interface CloneRequest {
  source: string
  /** NEW as given: a plain name or a hostname. */
  name: string
  ipList: string
  /** --hostname: the clone's hostname (default NEW as given). */
  hostname?: string
}

export interface CloneObservation {
  records: JailRecord[]
  reserved: string[]
  /** Names of the running jails. */
  running: string[]
  /** What is at the new root path now. */
  root: 'missing' | 'directory' | 'other'
  rootReal: string
  around: RootSurroundings
  conf: Ownership
  fstab: Ownership
  /** The source's dataset when tsez_use_zfs is on and the source has one. */
  sourceDataset?: string
  /** Whether tsez_zfs_parent/NEW exists already (tsez never takes over a dataset it did not make). */
  datasetTaken: boolean
  now: Date
  /** Random suffix for the staging directory or dataset. */
  nonce: string
}

export interface ClonePlan {
  source: JailRecord
  record: JailRecord
  files: {conf: string; fstab: string; record: string; journal: string}
  /** UFS: the copy renamed to the root at the end. */
  staging?: string
  /** ZFS: snapshot the source, clone it to a staging dataset, rename it to the clone's dataset. */
  zfs?: {snapshot: string; dataset: string; properties: string[]}
  /** What of the source the clone does not keep (first-boot scripts, mounts of its own). */
  dropped: string[]
}

/** The snapshot a ZFS clone is made from: SRC_DATASET@tsez-clone-NEW-STAMP (swept once it has no clone left). */
export const CLONE_SNAPSHOT_PREFIX = 'tsez-clone-'

/** The jail name of SOURCE (a name or hostname) among RECORDS. */
export function findRecord(records: readonly JailRecord[], source: string): JailRecord | undefined {
  return records.find((r) => r.name === source) ?? records.find((r) => r.hostname === source)
}

export function planClone(config: TsezConfig, request: CloneRequest, seen: CloneObservation): ClonePlan | string[] {
  const source = findRecord(seen.records, request.source)
  const problems: string[] = []
  if (source === undefined) problems.push(`no jail named ${quote(request.source)}; tsez list shows the jails`)
  const existing = seen.records.map((r) => r.hostname)
  problems.push(...validateJailName(request.name, {existing, reserved: seen.reserved}))
  const name = jailNameFor(request.name)
  const ips = parseIpList(request.ipList)
  problems.push(...ips.problems)
  for (const address of ips.addresses) {
    const user = seen.records.find((r) => r.addresses.some((a) => addressOf(a) === address.address))
    if (user) problems.push(`address ${address.address} is in use by jail ${user.name}`)
  }
  const hostname = request.hostname ?? request.name
  if (request.hostname !== undefined) {
    problems.push(...validateJailName(request.hostname, {existing: [], reserved: []}).map((p) => `--hostname: ${p}`))
    const taken = hostnameTakenProblem(request.hostname, seen.records)
    if (taken !== undefined) problems.push(taken)
  }
  const zfsSource = seen.sourceDataset
  if (source !== undefined && seen.running.includes(source.name) && zfsSource === undefined) {
    problems.push(
      `jail ${source.name} is running: stop it first (tsez stop ${source.name}); only a jail on ZFS is cloned ` +
        'running, from a fresh snapshot',
    )
  }
  const root = path.resolve(config.jaildir, name)
  const fieldProblem = fstabFieldProblem(root, 'root directory')
  if (fieldProblem !== undefined) problems.push(fieldProblem)
  problems.push(...rootPlacementProblems({path: root, real: seen.rootReal}, seen.around, false))
  const dataset = `${config.zfsParent}/${name}`
  if (zfsSource !== undefined && seen.datasetTaken) {
    problems.push(`dataset ${dataset} exists already and is not a tsez jail; rename or destroy it first`)
  }
  if (seen.root !== 'missing') problems.push(`root directory ${root} exists already; remove it or choose another name`)
  const files = jailFiles(config, name)
  if (seen.conf === 'foreign') problems.push(`${files.conf} exists and was not written by tsez; move it away first`)
  if (seen.fstab === 'foreign') problems.push(`${files.fstab} exists and was not written by tsez; move it away first`)
  if (source === undefined || problems.length > 0) return problems

  const record: JailRecord = {
    version: source.version,
    name,
    hostname,
    root,
    addresses: ips.addresses.map(formatJailAddress),
    flavours: source.flavours,
    run: source.run,
    depend: [],
    params: source.params,
    release: source.release,
    created: seen.now.toISOString(),
    ...(source.thick === true ? {thick: true as const} : {}),
  }
  const confProblems = jailConfProblems(jailConfSpecFor(config, record))
  if (confProblems.length > 0) return confProblems
  const dropped = [`pending first-start scripts (/${FIRSTBOOT_DIR}): they are not run again in the clone`]
  if (source.depend.length > 0) dropped.push(`its dependencies (${source.depend.join(', ')})`)
  for (const mount of source.mounts ?? []) dropped.push(`its own mount ${mount.device} on ${mount.mountPoint}`)
  const stamp = seen.now.toISOString().replace(/[-:]|\.\d+/g, '')
  const snapshot = `${zfsSource}@${CLONE_SNAPSHOT_PREFIX}${name}-${stamp}`
  if (zfsSource !== undefined) {
    const tooLong = [zfsNameProblem(dataset, 'dataset'), zfsNameProblem(snapshot, 'snapshot')].filter(Boolean)
    if (tooLong.length > 0) return tooLong as string[]
  }
  return {
    source,
    record,
    files: {...files, journal: journalFile(config, name)},
    ...(zfsSource === undefined
      ? {staging: path.join(path.dirname(root), `.tsez-clone-${name}.${seen.nonce}`)}
      : {
          record: {...record, dataset},
          zfs: {
            snapshot,
            dataset,
            properties: [`mountpoint=${root}`, ...config.zfsProperties],
          },
        }),
    dropped,
  }
}

/** The bare address of a recorded `[iface|]addr[/prefix]`. */
function addressOf(formatted: string): string {
  return (formatted.split('|').pop() ?? '').split('/')[0] ?? ''
}

/** The plan as the lines --dry-run prints, in order. */
export function describeClonePlan(plan: ClonePlan): string[] {
  const {record, files, source} = plan
  const lines = [`write ${files.journal} (create journal)`]
  if (plan.staging !== undefined) {
    lines.push(
      `run find -x ${source.root} ! -flags 0 -print0 and stat -f %Sf -- PATH... (the source's file flags)`,
      `copy ${source.root} -> ${plan.staging} (owners, modes, links, mtimes; without /${FIRSTBOOT_DIR})`,
      `run mkfifo -m 0600 -- PATH... for the source's FIFOs`,
    )
  }
  if (plan.zfs !== undefined) {
    const {snapshot, dataset, properties} = plan.zfs
    lines.push(
      `zfs snapshot ${snapshot}`,
      `zfs clone ${properties.map((p) => `-o ${p}`).join(' ')} ${snapshot} ${dataset}`,
      `remove ${path.join(record.root, FIRSTBOOT_DIR)}`,
    )
  }
  if (plan.staging !== undefined) {
    lines.push(`rename ${plan.staging} -> ${record.root}`, `run chflags -h FLAGS PATH... with the source's flags`)
  }
  lines.push(`write ${files.fstab}`, `write ${files.conf}`)
  lines.push(`write ${files.record} (commit)`, `remove ${files.journal}`)
  return lines
}
