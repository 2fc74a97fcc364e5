// Pure planning of `tsez config`: the jail's new record from the requested changes, every problem at once.
import {quote} from '../errors.js'
import path from 'node:path'

import type {TsezConfig} from '../config.js'
import {jailConfSpecFor} from '../jail/conf-spec.js'
import {parseCpuList} from '../jail/cpuset.js'
import {dependencyPath} from '../jail/depend.js'
import {formatJailAddress, parseIpList} from '../jail/ip.js'
import {hostnameTakenProblem, jailNameFor, validateJailName} from '../jail/names.js'
import {validateParam} from '../jail/params.js'
import type {JailRecord} from '../jail/store.js'
import {jailConfProblems} from '../jail/conf-render.js'
import type {Ownership} from '../jail/ownership.js'
import {rootPlacementProblems, type RootSurroundings} from '../jail/roots.js'
import type {RcFile} from '../jail/vnet-rc.js'
import {vnetChange, type VnetConfigObservation, type VnetConfigRequest} from './vnet.js'

export interface ConfigRequest extends VnetConfigRequest {
  name: string
  run?: boolean
  rename?: string
  ipList?: string
  hostname?: string
  depend?: string[]
  /** Jails to drop from the depend list (each must be on it). */
  undepend?: string[]
  /** NAME=VALUE strings, in order. */
  params?: string[]
  unset?: string[]
  /** cpuset(1) CPU list to pin the jail to. */
  cpuset?: string
  unsetCpuset?: boolean
}

export interface ConfigObservation extends VnetConfigObservation {
  record: JailRecord
  running: boolean
  /** Every jail tsez has a record for (hostnames included, for rename collisions). */
  jails: JailRecord[]
  reserved: string[]
  /** For a rename: what is at the new root, and who owns the new name's conf and fstab. */
  newRoot: 'missing' | 'present'
  /** The new default root tsez_jaildir/NEW with its symlinks resolved as far as it exists. */
  newRootReal: string
  /** What a moved root must keep clear of: tsez's own paths and the other jails' roots. */
  around: RootSurroundings
  newConf: Ownership
  newFstab: Ownership
  /** hw.ncpu: --cpuset names CPUs 0 .. ncpu-1. */
  ncpu: number
}

export interface ConfigPlan {
  before: JailRecord
  after: JailRecord
  /** The root moves only when it was the default tsez_jaildir/NAME. */
  moveRoot: boolean
  /** Other jails whose depend lists name this one (rewritten on rename). */
  dependents: JailRecord[]
  /** A VNET change: the jail's rc.conf.d files (undefined: remove tsez's). */
  rcFiles?: Record<RcFile, string | undefined>
}

export function planConfig(config: TsezConfig, request: ConfigRequest, seen: ConfigObservation): ConfigPlan | string[] {
  const {record} = seen
  const problems: string[] = []
  const vnetFlags = [request.vnet, request.bridge, request.mac, request.gateways?.length ? true : undefined]
  const changes = [request.run, request.rename, request.ipList, request.hostname, request.cpuset, ...vnetFlags].filter(
    (v) => v !== undefined,
  )
  if (request.unsetCpuset === true) changes.push(true)
  const lists = [request.depend, request.undepend, request.params, request.unset].filter(
    (l) => l !== undefined && l.length > 0,
  )
  if (changes.length + lists.length === 0) {
    problems.push(
      'nothing to change: give --run, --norun, --rename, --ip, --hostname, --depend, --undepend, --param, --unset, --cpuset, --unset-cpuset, --vnet, --no-vnet, --bridge, --gateway or --mac',
    )
  }
  if (seen.running) problems.push(`jail ${record.name} is running; stop it first (tsez stop ${record.name})`)
  const after: JailRecord = {...record, params: {...record.params}, depend: [...record.depend]}
  if (request.run !== undefined) after.run = request.run

  let moveRoot = false
  if (request.rename !== undefined) {
    const others = seen.jails.filter((j) => j.name !== record.name).map((j) => j.hostname)
    problems.push(...validateJailName(request.rename, {existing: others, reserved: seen.reserved}))
    after.name = jailNameFor(request.rename)
    after.hostname = request.rename
    moveRoot = record.root === path.join(config.jaildir, record.name)
    if (moveRoot) after.root = path.join(config.jaildir, after.name)
    if (after.name !== record.name) {
      if (moveRoot && seen.newRoot === 'present') problems.push(`${after.root} exists already; move it away first`)
      if (moveRoot)
        problems.push(...rootPlacementProblems({path: after.root, real: seen.newRootReal}, seen.around, true))
      if (seen.newConf === 'foreign') problems.push(`the jail.conf for ${after.name} exists and is not tsez's`)
      if (seen.newFstab === 'foreign') problems.push(`the fstab for ${after.name} exists and is not tsez's`)
    }
  }
  if (request.hostname !== undefined) {
    problems.push(...validateJailName(request.hostname, {existing: [], reserved: []}).map((p) => `--hostname: ${p}`))
    const others = seen.jails.filter((j) => j.name !== record.name && j.name !== after.name)
    const taken = hostnameTakenProblem(request.hostname, others)
    if (taken !== undefined) problems.push(taken)
    after.hostname = request.hostname
  }
  // A VNET jail's --ip is its own addresses (vnetChange); on the host's stack they are jail(8)'s ip4/ip6.addr.
  const vnetAfter = request.vnet ?? record.vnet !== undefined
  if (request.ipList !== undefined && !vnetAfter) {
    const ips = parseIpList(request.ipList)
    problems.push(...ips.problems)
    after.addresses = ips.addresses.map(formatJailAddress)
  }
  const added = (request.depend ?? []).map(jailNameFor)
  const dropped = new Set<string>()
  for (const unwanted of request.undepend ?? []) {
    const name = jailNameFor(unwanted)
    // A name not on the list, or also given to --depend, is a mistake to show, not to guess at: nothing changes.
    if (!record.depend.includes(name))
      problems.push(`--undepend ${quote(unwanted)}: ${record.name} does not depend on it`)
    else if (added.includes(name)) problems.push(`--undepend ${quote(unwanted)}: also given to --depend`)
    else dropped.add(name)
  }
  after.depend = after.depend.filter((d) => !dropped.has(d))
  for (const wanted of request.depend ?? []) {
    const name = jailNameFor(wanted)
    // A path back from the new dependency to this jail would close a cycle: no order could start either.
    const back = name === record.name ? undefined : dependencyPath(seen.jails, name, record.name)
    if (!seen.jails.some((j) => j.name === name)) problems.push(`--depend ${wanted}: no such jail`)
    else if (name === record.name) problems.push(`--depend ${wanted}: a jail cannot depend on itself`)
    else if (back !== undefined)
      problems.push(`--depend ${wanted}: dependency cycle ${[record.name, ...back].join(' -> ')}`)
    else if (!after.depend.includes(name)) after.depend.push(name)
  }
  for (const assignment of request.params ?? []) {
    const eq = assignment.indexOf('=')
    if (eq <= 0) {
      problems.push(`--param ${quote(assignment)}: write NAME=VALUE`)
      continue
    }
    const checked = validateParam(assignment.slice(0, eq), assignment.slice(eq + 1))
    if ('problem' in checked) problems.push(checked.problem)
    else if (checked.value !== undefined) after.params[checked.name] = checked.value
  }
  for (const name of request.unset ?? []) {
    const checked = validateParam(name, undefined)
    if ('problem' in checked) problems.push(checked.problem)
    else if (!(checked.name in after.params)) problems.push(`--unset ${name}: the jail does not set it`)
    else delete after.params[checked.name]
  }
  problems.push(...cpusetChange(request, seen, after))
  const vnet = vnetChange(config, request, seen, after)
  problems.push(...vnet.problems)
  if (vnet.rcFiles !== undefined && request.rename !== undefined)
    problems.push('give --rename and VNET changes separately')
  if (problems.length === 0) problems.push(...jailConfProblems(jailConfSpecFor(config, after)))
  if (problems.length > 0) return problems
  const dependents =
    after.name === record.name ? [] : seen.jails.filter((j) => j.name !== record.name && j.depend.includes(record.name))
  return {
    before: record,
    after,
    moveRoot: moveRoot && after.root !== record.root,
    dependents,
    ...(vnet.rcFiles === undefined ? {} : {rcFiles: vnet.rcFiles}),
  }
}

/** Applies --cpuset / --unset-cpuset to AFTER; an empty list is refused so an unset shell variable never unpins. */
function cpusetChange(request: ConfigRequest, seen: ConfigObservation, after: JailRecord): string[] {
  if (request.unsetCpuset === true) {
    if (seen.record.cpuset === undefined) return [`--unset-cpuset: ${seen.record.name} is not pinned to CPUs`]
    delete after.cpuset
  }
  if (request.cpuset === undefined) return []
  if (request.cpuset === '') return ['--cpuset "": give a CPU list (e.g. 0-3), or --unset-cpuset to unpin']
  const parsed = parseCpuList(request.cpuset, seen.ncpu)
  if ('problem' in parsed) return [parsed.problem]
  after.cpuset = parsed.list
  return []
}
