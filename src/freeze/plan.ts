// Pure planning of `tsez freeze`: (request, observed host) → every problem at once, or what to compare and write.
import path from 'node:path'

import type {TsezConfig} from '../config.js'
import {quote} from '../errors.js'
import {basejailFstabEntry} from '../jail/fstab.js'
import {FIRSTBOOT_DIR, type JailRecord} from '../jail/store.js'

export interface FreezeRequest {
  /** The jail, by name or hostname. */
  name: string
  flavour: string
}

export interface FreezeObservation {
  records: JailRecord[]
  /** What is at tsez_flavours/FLAVOUR now. */
  flavourExists: boolean
  newjailPresent: boolean
  /** ZFS: the jail's dataset and the snapshot it was cloned from, when it has both. */
  dataset?: {name: string; origin: string}
  nonce: string
}

export interface FreezePlan {
  jail: JailRecord
  template: string
  /** The flavour directory written. */
  flavour: string
  /** Where it is built, renamed to `flavour` when complete. */
  staging: string
  /** Root-relative paths left out of the comparison with their subtrees. */
  skip: string[]
  /** `zfs diff ORIGIN DATASET` instead of a walk: the jail is a clone of a snapshot of the newjail dataset. */
  zfsDiff?: {origin: string; dataset: string}
}

/** A flavour directory name: letters, digits, `_`, `.`, `-`, not starting with `.` or `-`. */
const FLAVOUR_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/

/** Where freeze builds a flavour before renaming it into place (swept when a freeze was killed). */
export const FREEZE_STAGING_PREFIX = '.tsez-freeze-'

export function planFreeze(config: TsezConfig, request: FreezeRequest, seen: FreezeObservation): FreezePlan | string[] {
  const problems: string[] = []
  const jail =
    seen.records.find((r) => r.name === request.name) ?? seen.records.find((r) => r.hostname === request.name)
  if (jail === undefined) problems.push(`no jail named ${quote(request.name)}; tsez list shows the jails`)
  else if (jail.thick === true) problems.push(`jail ${jail.name} is thick: it has no newjail to be compared with`)
  if (!FLAVOUR_NAME.test(request.flavour)) {
    problems.push(
      `flavour name ${quote(request.flavour)}: use letters, digits, _, . and - (not first), at most 64 characters`,
    )
  } else if (seen.flavourExists) {
    problems.push(`flavour ${request.flavour} exists already in ${config.flavours}; choose another name or remove it`)
  }
  if (!seen.newjailPresent) problems.push(`no newjail at ${config.newjail}; run tsez install first`)
  if (jail === undefined || problems.length > 0) return problems
  const mountPoints = [basejailFstabEntry(config.basejail, jail.root), ...(jail.mounts ?? [])].map((m) => m.mountPoint)
  const skip = [
    FIRSTBOOT_DIR,
    ...mountPoints.map((m) => path.relative(jail.root, m)).filter((rel) => !rel.startsWith('..')),
  ]
  const fromTemplate = seen.dataset?.origin.startsWith(`${config.zfsParent}/newjail@`) === true
  return {
    ...(fromTemplate && seen.dataset ? {zfsDiff: {origin: seen.dataset.origin, dataset: seen.dataset.name}} : {}),
    jail,
    template: config.newjail,
    flavour: path.join(config.flavours, request.flavour),
    staging: path.join(config.flavours, `${FREEZE_STAGING_PREFIX}${request.flavour}.${seen.nonce}`),
    skip,
  }
}

export function describeFreezePlan(plan: FreezePlan): string[] {
  const leftOut = `leaving out ${plan.skip.map((s) => `/${s}`).join(', ')}`
  const compare = plan.zfsDiff
    ? `run zfs diff -FH ${plan.zfsDiff.origin} ${plan.zfsDiff.dataset} (${leftOut})`
    : `compare ${plan.jail.root} with ${plan.template} (${leftOut})`
  return [
    compare,
    `copy what was added or modified -> ${plan.staging} (owners, modes, mtimes, symlinks, hard links)`,
    `write ${path.join(plan.staging, 'tsez.remove')} (what was removed, one path a line; only when something was)`,
    `rename ${plan.staging} -> ${plan.flavour}`,
  ]
}
