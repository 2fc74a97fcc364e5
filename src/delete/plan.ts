// Pure planning of `tsez delete`: which refusals apply, and the ordered steps that remove a jail.
import {quote} from '../errors.js'
import type {JailFiles, JailRecord} from '../jail/store.js'
import type {Leftover} from '../jail/journal.js'
import type {Ownership} from '../jail/ownership.js'
import {CLEAR_REMOVAL_FLAGS} from '../system/files.js'

export interface DeleteRequest {
  /** The jail name, or the hostname it was created with. */
  name: string
  wipe: boolean
  force: boolean
  /** The user confirmed the wipe at a prompt (the command asks only on a terminal). */
  confirmed: boolean
}

export interface DeleteObservation {
  name: string
  record: JailRecord | undefined
  files: JailFiles
  conf: Ownership
  fstab: Ownership
  /** What an interrupted create of this name left (with its journal). */
  leftovers: Leftover[]
  running: boolean
  /** Mount points at or below the root (from `mount -p`), after a forced stop. */
  mountsUnderRoot: string[]
  /** What the root is: a real directory, missing, or something else (a symlink). */
  root: 'directory' | 'missing' | 'other'
  /** A directory below the root on another device, when the scan found one. */
  otherDevice: string | undefined
  /** Other jails whose roots lie at or under this root (records from before roots were kept apart). */
  nestedJails: Array<{name: string; root: string}>
  /** Other jails whose depend lists name this one, with the files of their records. */
  dependents: Array<{record: JailRecord; file: string}>
  /** -w of a jail in an existing dataset: what zfs destroy removes, in order, or why it cannot (src/delete/zfs.ts). */
  datasetTargets?: string[] | {failure: string}
}

export type DeleteStep =
  | {kind: 'stop'; argv: string[]}
  | {kind: 'chflags'; argv: string[]}
  | {kind: 'remove-tree'; path: string}
  | {kind: 'destroy-dataset'; target: string}
  | {kind: 'remove-leftover'; leftover: Leftover}
  | {kind: 'remove-file'; path: string}
  /** JAIL is the dependent's record without the deleted name, written atomically to PATH. */
  | {kind: 'undepend'; jail: JailRecord; dropped: string; path: string}

export type DeleteDecision = {steps: DeleteStep[]} | {usage: string} | {failure: string}

/**
 * The record is removed last: an interrupted delete leaves a jail `tsez list` shows and `tsez delete` finishes.
 * Just before it, the jails that depend on this one drop it from their depend lists, each record rewritten
 * atomically: a kill in between leaves them depending on a jail that still exists.
 */
export function planDelete(request: DeleteRequest, seen: DeleteObservation): DeleteDecision {
  const {record, files, name} = seen
  if (record === undefined && seen.leftovers.length === 0 && seen.conf !== 'tsez' && seen.fstab !== 'tsez') {
    return {usage: `no jail named ${quote(request.name)}; tsez list shows the jails`}
  }
  if (seen.running && !request.force) {
    return {usage: `jail ${name} is running; stop it first (tsez stop ${name}) or use --force to stop it`}
  }
  if (request.wipe && !request.force && !request.confirmed) {
    return {
      usage: `delete -w removes ${record?.root ?? 'the jail root'} for good; add --force (no prompt without a terminal)`,
    }
  }
  if (request.wipe && seen.nestedJails.length > 0) {
    const nested = seen.nestedJails.map((jail) => `${jail.name} (${jail.root})`).join(', ')
    return {
      usage: `delete -w would remove the root of jail ${nested} inside ${record?.root ?? 'this root'}; delete or move that jail first`,
    }
  }
  const steps: DeleteStep[] = []
  if (seen.running) steps.push({kind: 'stop', argv: ['jail', '-f', files.conf, '-r', name]})
  const targets = request.wipe && record !== undefined ? seen.datasetTargets : undefined
  if (targets !== undefined) {
    if ('failure' in targets) return targets
    if (seen.mountsUnderRoot.length > 0) {
      return {failure: `${seen.mountsUnderRoot.join(', ')} mounted under ${record?.root}; unmount first (see mount -p)`}
    }
    steps.push(...targets.map((target) => ({kind: 'destroy-dataset' as const, target})))
  } else if (request.wipe && record !== undefined && seen.root !== 'missing') {
    if (seen.root === 'other') return {failure: `${record.root} is not a directory (a symlink?); remove it by hand`}
    if (seen.mountsUnderRoot.length > 0) {
      return {failure: `${seen.mountsUnderRoot.join(', ')} mounted under ${record.root}; unmount first (see mount -p)`}
    }
    if (seen.otherDevice !== undefined) {
      return {failure: `${seen.otherDevice} is another file system inside ${record.root}; unmount it first`}
    }
    steps.push(
      {kind: 'chflags', argv: ['chflags', '-R', CLEAR_REMOVAL_FLAGS, record.root]},
      {kind: 'remove-tree', path: record.root},
    )
  }
  for (const leftover of seen.leftovers) steps.push({kind: 'remove-leftover', leftover})
  const done = new Set(seen.leftovers.map((l) => l.path))
  if (seen.fstab === 'tsez' && !done.has(files.fstab)) steps.push({kind: 'remove-file', path: files.fstab})
  if (seen.conf === 'tsez' && !done.has(files.conf)) steps.push({kind: 'remove-file', path: files.conf})
  for (const {record: other, file} of seen.dependents) {
    const jail = {...other, depend: other.depend.filter((d) => d !== name)}
    steps.push({kind: 'undepend', jail, dropped: name, path: file})
  }
  if (record !== undefined) steps.push({kind: 'remove-file', path: files.record})
  return {steps}
}

export function describeDeleteStep(step: DeleteStep): string {
  switch (step.kind) {
    case 'stop':
    case 'chflags':
      return `run ${step.argv.join(' ')}`
    case 'remove-tree':
      return `remove ${step.path} (every entry on its file system, symlinks not followed)`
    case 'destroy-dataset':
      return `run zfs destroy ${step.target}`
    case 'remove-leftover':
      if (step.leftover.kind === 'dataset') {
        return `run zfs destroy ${step.leftover.path} (left by an interrupted create, if cloned from ${step.leftover.origin})`
      }
      return `remove ${step.leftover.path} (left by an interrupted create)`
    case 'remove-file':
      return `remove ${step.path}`
    case 'undepend':
      return `write ${step.path} (${step.jail.name} no longer depends on ${step.dropped})`
  }
}
