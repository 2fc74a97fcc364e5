// Pure planning of `tsez restore`: (request, archive metadata, observed host) → every problem at once, or the plan.
import path from 'node:path'

import type {TsezConfig} from '../config.js'
import {quote, quoteUnlessPlain} from '../errors.js'
import type {ArchiveMeta} from '../jail/archive-format.js'
import {jailConfProblems} from '../jail/conf-render.js'
import {jailConfSpecFor} from '../jail/conf-spec.js'
import {fstabFieldProblem} from '../jail/fstab.js'
import {formatJailAddress, parseIpList} from '../jail/ip.js'
import {RESTORE_MARK, journalFile} from '../jail/journal.js'
import {jailNameFor, validateJailName} from '../jail/names.js'
import type {Ownership} from '../jail/ownership.js'
import {restoreStaging, rootPlacementProblems, type RootSurroundings} from '../jail/roots.js'
import {JAIL_RECORD_VERSION, jailFiles, type JailFiles, type JailRecord} from '../jail/store.js'
import {zfsNameProblem} from '../system/zfs.js'

export interface RestoreRequest {
  archive: string
  /** --name: the restored jail's name (or hostname); default the archived jail's hostname. */
  name?: string
  /** --ip: its addresses; default the archived ones. */
  ipList?: string
  /** -r: absolute, or relative to tsez_jaildir. */
  rootdir?: string
  verify: boolean
  forceRelease: boolean
}

export interface RestoreObservation {
  meta: ArchiveMeta
  records: JailRecord[]
  reserved: string[]
  /** USERLAND_VERSION of this host's basejail, undefined when there is none. */
  basejailRelease: string | undefined
  root: 'missing' | 'directory' | 'other'
  rootReal: string
  around: RootSurroundings
  conf: Ownership
  fstab: Ownership
  /** tsez_use_zfs: whether tsez_zfs_parent/NAME exists and is not what an interrupted restore left. */
  datasetTaken: boolean
  nonce: string
}

export interface RestorePlan {
  record: JailRecord
  files: JailFiles & {journal: string}
  /** Where the archive is extracted; its root/ is renamed to the jail's root. */
  staging: string
  /** What of the archived record is not carried over, one line each (warnings). */
  dropped: string[]
  /**
   * tsez_use_zfs: the jail's dataset, made (tsez:restore=MARK, tsez_zfs_properties) mounted at STAGING/TREE,
   * extracted into there, then mounted at the root once complete.
   */
  zfs?: {dataset: string; mark: string; properties: string[]}
}

/**
 * The jail(8) parameters an archive brings: what the jail does inside itself. An archive is data from elsewhere,
 * and every other parameter may run a command on the host (exec.prepare, exec.prestart, exec.poststop...), write a
 * host file (exec.consolelog), hand the jail host resources (zfs.dataset, vnet.interface, interface, mount.*) or
 * loosen what confines it (devfs_ruleset, enforce_statfs, allow.*, sysv*=inherit): dropped, each named.
 */
const CARRIED_PARAMS = new Set([
  'exec.start',
  'exec.stop',
  'exec.clean',
  'exec.jail_user',
  'exec.timeout',
  'stop.timeout',
  'persist',
  'securelevel',
])

export function planRestore(
  config: TsezConfig,
  request: RestoreRequest,
  seen: RestoreObservation,
): RestorePlan | string[] {
  const archived = seen.meta.jail
  const requested = request.name ?? archived.hostname
  const problems = validateJailName(requested, {existing: seen.records.map((r) => r.hostname), reserved: seen.reserved})
  const name = jailNameFor(requested)
  if (seen.records.some((r) => r.name === name) && problems.length === 0) problems.push(`jail ${name} exists already`)
  // A VNET jail's addresses are its own stack's; restored, it is on the host's stack with them (vnet is dropped)
  const archivedAddresses = archived.addresses.length > 0 ? archived.addresses : (archived.vnet?.addresses ?? [])
  const ips = parseIpList(request.ipList ?? archivedAddresses.join(','))
  problems.push(...ips.problems)
  for (const address of ips.addresses) {
    const user = seen.records.find((r) => r.addresses.some((a) => addressOf(a) === address.address))
    if (user) problems.push(`address ${address.address} is in use by jail ${user.name}; give --ip`)
  }
  problems.push(...releaseProblems(seen, request.forceRelease))
  const root = path.resolve(config.jaildir, request.rootdir ?? name)
  const fieldProblem = fstabFieldProblem(root, 'root directory')
  if (fieldProblem !== undefined) problems.push(fieldProblem)
  const relative = request.rootdir !== undefined && !path.isAbsolute(request.rootdir)
  problems.push(...rootPlacementProblems({path: root, real: seen.rootReal}, seen.around, relative))
  if (seen.root !== 'missing') problems.push(`root directory ${root} exists already; remove it or choose another -r`)
  const files = jailFiles(config, name)
  if (seen.conf === 'foreign') problems.push(`${files.conf} exists and was not written by tsez; move it away first`)
  if (seen.fstab === 'foreign') problems.push(`${files.fstab} exists and was not written by tsez; move it away first`)
  const dataset = config.useZfs ? `${config.zfsParent}/${name}` : undefined
  if (seen.datasetTaken)
    problems.push(`dataset ${dataset} exists already and is not a tsez jail; rename or destroy it first`)
  const tooLong = dataset === undefined ? undefined : zfsNameProblem(dataset, 'dataset')
  if (tooLong !== undefined) problems.push(tooLong)

  const dropped: string[] = []
  const params: JailRecord['params'] = {}
  for (const [key, value] of Object.entries(archived.params)) {
    if (CARRIED_PARAMS.has(key)) params[key] = value
    else
      dropped.push(
        `parameter ${quoteUnlessPlain(key)} (it acts on the host or loosens the jail; tsez config --param sets it again)`,
      )
  }
  const depend = archived.depend.filter((other) => seen.records.some((r) => r.name === other))
  for (const other of archived.depend.filter((d) => !depend.includes(d)))
    dropped.push(`depend ${quoteUnlessPlain(other)} (no such jail here)`)
  if (archived.vnet !== undefined) {
    dropped.push(
      "vnet (its bridge is the old host's: the jail uses the host's stack; tsez config --vnet sets it again)",
    )
  }
  const limits = archived.limits ?? []
  if (limits.length > 0) dropped.push(`limits (${limits.length} rctl rules; tsez limits sets them again)`)
  if (archived.cpuset !== undefined) dropped.push("cpuset (CPUs are this host's; tsez config --cpuset sets it again)")
  for (const mount of archived.mounts ?? [])
    dropped.push(`mount ${quoteUnlessPlain(mount.device)} on ${quoteUnlessPlain(mount.mountPoint)} (a host path)`)
  const record: JailRecord = {
    version: JAIL_RECORD_VERSION,
    name,
    hostname: requested,
    root,
    addresses: ips.addresses.map(formatJailAddress),
    flavours: archived.flavours,
    run: archived.run,
    depend,
    params,
    release: archived.release,
    created: archived.created,
    ...(archived.thick === true ? {thick: true as const} : {}),
    ...(dataset === undefined ? {} : {dataset}),
  }
  if (problems.length === 0) problems.push(...jailConfProblems(jailConfSpecFor(config, record)))
  if (problems.length > 0) return problems
  return {
    record,
    files: {...files, journal: journalFile(config, name)},
    staging: restoreStaging(root, name, seen.nonce),
    dropped,
    ...(dataset === undefined ? {} : {zfs: {dataset, mark: seen.nonce, properties: config.zfsProperties}}),
  }
}

/** The restored dataset's properties besides its mountpoint: the journal's mark, then tsez_zfs_properties. */
export function datasetProperties(zfs: NonNullable<RestorePlan['zfs']>): string[] {
  return [`${RESTORE_MARK}=${zfs.mark}`, ...zfs.properties]
}

/** `[iface|]addr[/prefix]` → addr. */
function addressOf(formatted: string): string {
  return (formatted.split('|').pop() ?? '').split('/')[0] ?? ''
}

function releaseProblems(seen: RestoreObservation, force: boolean): string[] {
  if (seen.meta.jail.thick === true) return []
  if (seen.basejailRelease === undefined) return [`no basejail at this host; run tsez install first`]
  const archived = majorMinor(seen.meta.release)
  if (force || archived === majorMinor(seen.basejailRelease)) return []
  return [
    `the archive's jail ran ${quote(seen.meta.release)}, the basejail here is ${seen.basejailRelease}: ` +
      'give --force-release to restore it anyway (then tsez update -U can merge its /etc)',
  ]
}

function majorMinor(release: string): string | undefined {
  return /^(\d+\.\d+)-/.exec(release)?.[1]
}

/** The plan as --dry-run prints it (TREE: the archive's member holding the jail's tree). */
export function describeRestorePlan(plan: RestorePlan, archive: string, tree: string): string[] {
  const {record, files, staging, zfs} = plan
  const options = zfs && [`mountpoint=${path.join(staging, tree)}`, ...datasetProperties(zfs)].map((o) => `-o ${o}`)
  return [
    `write ${files.journal} (create journal)`,
    ...(zfs === undefined ? [] : [`make directory ${staging}`, `run zfs create ${options?.join(' ')} ${zfs.dataset}`]),
    `extract ${archive} -> ${staging} (FIFOs with mkfifo -m 0600)`,
    `write ${files.fstab}`,
    `write ${files.conf}`,
    zfs === undefined
      ? `rename ${path.join(staging, tree)} -> ${record.root}`
      : `run zfs set mountpoint=${record.root} ${zfs.dataset}`,
    `run chflags -h FLAGS PATH... for every path the archive carries SCHILY.fflags for`,
    `remove ${staging}`,
    `write ${files.record} (commit)`,
    `remove ${files.journal}`,
  ]
}
