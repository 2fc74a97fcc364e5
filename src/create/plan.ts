// Pure planning of `tsez create`: (request, observed host) → every problem at once, or the exact plan to carry out.
import path from 'node:path'

import type {TsezConfig} from '../config.js'
import {formatJailAddress, parseIpList} from '../jail/ip.js'
import {jailNameFor, validateJailName} from '../jail/names.js'
import {FIRSTBOOT_DIR, JAIL_RECORD_VERSION, jailFiles, type JailRecord} from '../jail/store.js'
import {fstabFieldProblem} from '../jail/fstab.js'
import {jailConfProblems} from '../jail/conf-render.js'
import {jailConfSpecFor} from '../jail/conf-spec.js'
import type {Ownership} from '../jail/ownership.js'
import {journalFile} from '../jail/journal.js'
import {REMOVE_LIST} from '../jail/flavour-remove.js'
import {rootPlacementProblems, type RootSurroundings} from '../jail/roots.js'
import {parseRelease} from '../dist/release.js'
import {etcTarballPath} from '../etc/etcupdate.js'
import {parseVnetRequest, type VnetSettings} from '../jail/vnet.js'
import {RC_FILES, vnetRcFiles, type RcFile} from '../jail/vnet-rc.js'
import {describeZfsClone, planZfsClone, type ZfsCloneStep, type ZfsObservation} from './zfs.js'

export interface CreateRequest {
  /** NAME as given: a plain name or a hostname. */
  name: string
  ipList: string
  /** -f values in order; undefined when none was given (tsez_default_flavour applies). */
  flavours?: string[]
  /** -r: absolute, or relative to tsez_jaildir. */
  rootdir?: string
  /** -x: the root exists; write only the configuration. */
  existingRoot: boolean
  norun: boolean
  /** --vnet: IPLIST is then the jail's own addresses or `dhcp`. */
  vnet?: boolean
  /** --bridge, --mac and --gateway: only with --vnet. */
  bridge?: string
  mac?: string
  gateways?: string[]
  /** --quota SIZE: the ZFS quota of the jail's dataset (ZFS only). */
  quota?: string
}

export interface CreateObservation {
  /** Hostnames of the jails tsez has records for. */
  existingJails: string[]
  reserved: string[]
  /** Flavour directory names under tsez_flavours. */
  availableFlavours: string[]
  /** Per flavour: its first-start script (tsez.flavour, else ezjail.flavour) when it has one. */
  flavourScripts: Record<string, string | undefined>
  /** What is at the root path now. */
  root: 'missing' | 'directory' | 'other'
  /** The root path with its symlinks resolved as far as it exists. */
  rootReal: string
  /** The jail directory, tsez's own paths and every recorded jail's root, to keep the root clear of. */
  around: RootSurroundings
  conf: Ownership
  fstab: Ownership
  newjailPresent: boolean
  /** The newjail carries etcupdate state (var/db/etcupdate/current), so every copy of it does too. */
  newjailHasEtcState: boolean
  /** USERLAND_VERSION of the basejail, undefined when there is none. */
  release: string | undefined
  now: Date
  /** Random suffix for the staging directory. */
  nonce: string
  /** The epair unit a --vnet jail would get (allocateEpair), undefined when every unit is taken. */
  epair?: number
  /** Who owns the rc.conf.d files a --vnet jail's root (-x) or the newjail already has. */
  rcFiles?: Record<RcFile, Ownership>
  /** With tsez_use_zfs: tsez's datasets and whether the newjail changed since its newest snapshot. */
  zfs?: ZfsObservation
}

export interface FlavourStep {
  name: string
  dir: string
  /** Copied to ROOT/var/db/tsez/firstboot/NN-name, mode 0700, to run once at the jail's first start. */
  script?: {source: string; target: string}
}

export interface CreatePlan {
  record: JailRecord
  files: {conf: string; fstab: string; record: string; journal: string}
  /** The staging copy renamed to the root at the end; undefined with -x. */
  staging?: string
  newjail: string
  /**
   * Set when the newjail has no etcupdate state yet: `etcupdate extract` records it in the template once (for the
   * release its /etc came from), before the copy, so this jail and every later one start with it.
   */
  templateEtc?: {release: string; tarball: string}
  flavours: FlavourStep[]
  /** A --vnet jail's rc.conf.d files (undefined: remove tsez's own), written into the root before its rename. */
  rcFiles?: Record<RcFile, string | undefined>
  /** With tsez_use_zfs (not -x): the root is a clone of the newjail's snapshot, made instead of the staging copy. */
  zfs?: ZfsCloneStep
}

/** Top-level flavour entries that describe the flavour rather than belong in the jail. */
export function isFlavourMetadata(rel: string): boolean {
  return /^readme/i.test(rel) || rel === 'tsez.flavour' || rel === 'ezjail.flavour' || rel === REMOVE_LIST
}

export function planCreate(config: TsezConfig, request: CreateRequest, seen: CreateObservation): CreatePlan | string[] {
  const problems = validateJailName(request.name, {existing: seen.existingJails, reserved: seen.reserved})
  const name = jailNameFor(request.name)
  const vnet = vnetOf(config, name, request, seen)
  if (Array.isArray(vnet)) problems.push(...vnet)
  const ips = request.vnet !== true ? parseIpList(request.ipList) : {addresses: [], problems: []}
  problems.push(...ips.problems)

  const flavours = request.flavours ?? (request.existingRoot ? [] : config.defaultFlavours)
  if (request.existingRoot && request.flavours !== undefined && request.flavours.length > 0) {
    problems.push('-x writes only the configuration of an existing root: it applies no flavour; drop -f')
  }
  const unknown = flavours.filter((f) => !seen.availableFlavours.includes(f) || f.includes('/') || f.startsWith('.'))
  if (unknown.length > 0) {
    const available = seen.availableFlavours.length > 0 ? seen.availableFlavours.join(', ') : 'none'
    problems.push(`unknown flavour ${unknown.join(', ')} (in ${config.flavours}); available: ${available}`)
  }
  const twice = flavours.filter((f, i) => flavours.indexOf(f) !== i)
  if (twice.length > 0) problems.push(`flavour ${[...new Set(twice)].join(', ')} given more than once`)

  const root = path.resolve(config.jaildir, request.rootdir ?? name)
  problems.push(...rootProblems(root, request, seen))
  const files = jailFiles(config, name)
  if (seen.conf === 'foreign') problems.push(`${files.conf} exists and was not written by tsez; move it away first`)
  if (seen.fstab === 'foreign') problems.push(`${files.fstab} exists and was not written by tsez; move it away first`)
  if (seen.release === undefined) problems.push(`no basejail at ${config.basejail}; run tsez install first`)
  if (!request.existingRoot && !seen.newjailPresent)
    problems.push(`no newjail at ${config.newjail}; run tsez install first`)
  const templateEtc = request.existingRoot || seen.newjailHasEtcState ? {} : templateEtcFor(config, seen.release ?? '')
  const zfsJail = {
    name,
    root,
    quota: request.quota,
    existingRoot: request.existingRoot,
    now: seen.now,
    mark: seen.nonce,
  }
  const zfs = planZfsClone(config, {...zfsJail, templateEtc: 'templateEtc' in templateEtc}, seen.zfs)
  if (Array.isArray(zfs)) problems.push(...zfs)

  const record: JailRecord = {
    version: JAIL_RECORD_VERSION,
    name,
    hostname: request.name,
    root,
    addresses: ips.addresses.map(formatJailAddress),
    flavours,
    run: !request.norun,
    depend: [],
    params: {},
    release: seen.release ?? '',
    created: seen.now.toISOString(),
    ...(vnet === undefined || Array.isArray(vnet) ? {} : {vnet}),
    ...(zfs === undefined || Array.isArray(zfs) ? {} : {dataset: zfs.dataset}),
  }
  if (problems.length === 0) problems.push(...jailConfProblems(jailConfSpecFor(config, record)))
  if (problems.length > 0) return problems

  return {
    record,
    files: {...files, journal: journalFile(config, name)},
    staging:
      request.existingRoot || zfs !== undefined
        ? undefined
        : path.join(path.dirname(root), `.tsez-create-${name}.${seen.nonce}`),
    newjail: config.newjail,
    ...templateEtc,
    ...(zfs === undefined || Array.isArray(zfs) ? {} : {zfs}),
    ...(record.vnet === undefined ? {} : {rcFiles: vnetRcFiles(name, record.vnet)}),
    flavours: flavours.map((flavour, index) => {
      const script = seen.flavourScripts[flavour]
      const number = String(index + 1).padStart(2, '0')
      return {
        name: flavour,
        dir: path.join(config.flavours, flavour),
        ...(script === undefined ? {} : {script: {source: script, target: `${FIRSTBOOT_DIR}/${number}-${flavour}`}}),
      }
    }),
  }
}

/** The --vnet settings, every problem with them, or undefined for a jail on the host's stack. */
function vnetOf(
  config: TsezConfig,
  name: string,
  request: CreateRequest,
  seen: CreateObservation,
): VnetSettings | string[] | undefined {
  const gateways = request.gateways ?? []
  if (request.vnet !== true) {
    const flags = [
      ...(request.bridge === undefined ? [] : ['--bridge']),
      ...(request.mac === undefined ? [] : ['--mac']),
      ...(gateways.length > 0 ? ['--gateway'] : []),
    ]
    return flags.length > 0 ? [`${flags.join(', ')} only with --vnet`] : undefined
  }
  if (seen.epair === undefined) return ['every epair unit is taken; no VNET jail can be added']
  const parsed = parseVnetRequest(
    name,
    {bridge: request.bridge ?? config.bridge, mac: request.mac, gateways, ipList: request.ipList},
    seen.epair,
  )
  if (Array.isArray(parsed)) return parsed
  const foreign = RC_FILES.filter((file) => seen.rcFiles?.[file] === 'foreign')
  if (foreign.length > 0) {
    return [
      `the jail's /etc/rc.conf.d/{${foreign.join(',')}} ${foreign.length > 1 ? 'are' : 'is'} not tsez's ` +
        '(its own file, or a symlink on the way): move it away first',
    ]
  }
  return parsed
}

/** No step for a base whose version is not a release name: `update -U` then bootstraps each jail on first need. */
function templateEtcFor(config: TsezConfig, release: string): Pick<CreatePlan, 'templateEtc'> {
  try {
    const {name} = parseRelease(release)
    return {templateEtc: {release: name, tarball: etcTarballPath(config, name)}}
  } catch {
    return {}
  }
}

function rootProblems(root: string, request: CreateRequest, seen: CreateObservation): string[] {
  const problems: string[] = []
  const fieldProblem = fstabFieldProblem(root, 'root directory')
  if (fieldProblem !== undefined) problems.push(fieldProblem)
  const relative = request.rootdir !== undefined && !path.isAbsolute(request.rootdir)
  problems.push(...rootPlacementProblems({path: root, real: seen.rootReal}, seen.around, relative))
  if (request.existingRoot && seen.root !== 'directory') {
    problems.push(
      `-x needs an existing root directory, but ${root} is ${seen.root === 'missing' ? 'missing' : 'not a directory'}`,
    )
  }
  if (!request.existingRoot && seen.root !== 'missing') {
    problems.push(`root directory ${root} exists already; remove it, choose another -r, or use -x to keep it`)
  }
  return problems
}

/** The plan as the lines --dry-run prints: every directory, file and rename, in order. */
export function describeCreatePlan(plan: CreatePlan): string[] {
  const {record, files, staging} = plan
  const lines = [`write ${files.journal} (create journal)`]
  if (plan.templateEtc) {
    const {release, tarball} = plan.templateEtc
    lines.push(
      `run etcupdate extract -D ${plan.newjail} -t ${tarball} (once: the template's etcupdate state for ${release}; ` +
        `the tarball is built from the cached base set when missing)`,
    )
  }
  if (plan.zfs !== undefined) lines.push(...describeZfsClone(plan.zfs))
  else if (staging !== undefined)
    lines.push(`copy ${plan.newjail} -> ${staging} (faithful copy: owners, modes, links, mtimes)`)
  const built = plan.zfs === undefined ? staging : record.root
  if (built !== undefined) {
    for (const flavour of plan.flavours) {
      lines.push(`overlay flavour ${flavour.name}: ${flavour.dir} -> ${built}`)
      if (flavour.script) {
        lines.push(`install ${flavour.script.source} -> ${path.join(built, flavour.script.target)} (mode 0700)`)
      }
    }
  }
  lines.push(`write ${files.fstab}`, `write ${files.conf}`)
  for (const [file, content] of Object.entries(plan.rcFiles ?? {})) {
    if (content !== undefined) lines.push(`write ${path.join(staging ?? record.root, 'etc/rc.conf.d', file)}`)
  }
  if (staging !== undefined) lines.push(`rename ${staging} -> ${record.root}`)
  lines.push(`write ${files.record} (commit)`, `remove ${files.journal}`)
  return lines
}
