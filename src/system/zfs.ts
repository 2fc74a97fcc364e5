// zfs(8) for the verbs that keep jails in datasets (install, create, delete, update, snapshot...): one argv per call.
import path from 'node:path'

import {ExternalCommandError, type CommandRunner, type RunResult} from './runner.js'

/** zfs exited non-zero: the message leads with zfs's first lines (its reason), not its last (a list of names). */
export class ZfsError extends ExternalCommandError {
  constructor(args: readonly string[], result: RunResult) {
    super('zfs', args, result)
    const lines = result.stderr
      .split('\n')
      .map((line) => line.trim())
      .filter(Boolean)
    if (lines.length > 0) this.message = `zfs ${args.join(' ')} failed: ${lines.slice(0, 3).join(' | ')}`
  }
}

/** Runs zfs ARGS; a non-zero exit throws ZfsError. */
async function zfs(run: CommandRunner, args: readonly string[]): Promise<RunResult> {
  const result = await run.tryRun('zfs', args)
  if (result.exitCode !== 0) throw new ZfsError(args, result)
  return result
}

/** A snapshot of a dataset, oldest first in listSnapshots. */
export interface Snapshot {
  /** DATASET@NAME */
  full: string
  /** NAME, after the @ */
  name: string
  /** Seconds since the epoch (zfs get -p creation). */
  creation: number
}

/** ZFS_MAX_DATASET_NAME_LEN less its NUL: the longest dataset or snapshot name zfs(8) takes. */
export const ZFS_NAME_MAX = 255

/** Why NAME (a WHAT: dataset, snapshot) is too long for zfs, so that a plan refuses it rather than zfs half way. */
export function zfsNameProblem(name: string, what: string): string | undefined {
  const length = Buffer.byteLength(name)
  if (length <= ZFS_NAME_MAX) return undefined
  return `${what} ${name} would be ${length} bytes long, past the ${ZFS_NAME_MAX} zfs takes; choose a shorter name`
}

/** UTC, sortable and valid in a dataset or snapshot name: 20261128T152000Z. */
export function zfsStamp(now: Date): string {
  return now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')
}

/** zfs(8)'s size syntax for quota: a number, optionally with a fraction, and a unit (10G, 512M, 1.5T, 20GB). */
export function isZfsSize(text: string): boolean {
  return /^[0-9]+(\.[0-9]+)?([KMGTPE](i?B)?|B)?$/i.test(text) && !/^0+(\.0+)?[a-z]*$/i.test(text)
}

/** Whether DATASET (a file system or snapshot) exists. */
export async function datasetExists(run: CommandRunner, dataset: string): Promise<boolean> {
  return (await run.tryRun('zfs', ['list', '-H', '-o', 'name', '-t', 'all', dataset])).exitCode === 0
}

/** The file system mounted exactly at MOUNTPOINT, if any (undefined too when zfs is absent or fails). */
export async function datasetAt(run: CommandRunner, mountpoint: string): Promise<string | undefined> {
  const result = await run.tryRun('zfs', ['list', '-H', '-o', 'name,mountpoint'])
  if (result.exitCode !== 0) return undefined
  for (const line of result.stdout.split('\n')) {
    const [name, mounted] = line.split('\t')
    if (name && mounted?.startsWith('/') && path.resolve(mounted) === path.resolve(mountpoint)) return name
  }
  return undefined
}

/** `zfs create -o mountpoint=MOUNTPOINT [-o PROP]... DATASET`. */
export async function createDataset(
  run: CommandRunner,
  dataset: string,
  mountpoint: string,
  properties: readonly string[],
): Promise<void> {
  await zfs(run, ['create', ...options([`mountpoint=${mountpoint}`, ...properties]), dataset])
}

/** `zfs snapshot DATASET@NAME`; returns DATASET@NAME. */
export async function snapshot(run: CommandRunner, dataset: string, name: string): Promise<string> {
  await zfs(run, ['snapshot', `${dataset}@${name}`])
  return `${dataset}@${name}`
}

/** DATASET's own snapshots, oldest first (by creation transaction). */
export async function listSnapshots(run: CommandRunner, dataset: string): Promise<Snapshot[]> {
  const args = ['list', '-H', '-p', '-t', 'snapshot', '-d', '1', '-o', 'name,creation', '-s', 'createtxg', dataset]
  const result = await zfs(run, args)
  return result.stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [full = '', creation = '0'] = line.split('\t')
      return {full, name: full.slice(full.indexOf('@') + 1), creation: Number(creation)}
    })
    .filter(({full}) => full.startsWith(`${dataset}@`))
}

/** `zfs rollback [-r] DATASET@SNAP`: -r (destroyLater) destroys the snapshots taken after it, never clones. */
export async function rollback(run: CommandRunner, target: string, {destroyLater}: {destroyLater: boolean}) {
  await zfs(run, ['rollback', ...(destroyLater ? ['-r'] : []), target])
}

/** `zfs clone -o PROP... SNAPSHOT DATASET` (properties as name=value, mountpoint among them). */
export async function cloneSnapshot(
  run: CommandRunner,
  source: string,
  dataset: string,
  properties: readonly string[],
): Promise<void> {
  await zfs(run, ['clone', ...options(properties), source, dataset])
}

/** `zfs destroy TARGET`: one file system or snapshot, never -r or -R (zfs refuses when something depends on it). */
export async function destroy(run: CommandRunner, target: string): Promise<void> {
  await zfs(run, ['destroy', target])
}

/** `zfs rename FROM TO` (file systems or snapshots of one dataset). */
export async function rename(run: CommandRunner, from: string, to: string): Promise<void> {
  await zfs(run, ['rename', from, to])
}

/** `zfs set NAME=VALUE DATASET`. */
export async function setProperty(run: CommandRunner, dataset: string, setting: string): Promise<void> {
  await zfs(run, ['set', setting, dataset])
}

/** DATASET's mountpoint property (a path, none or legacy). */
export async function mountpointOf(run: CommandRunner, dataset: string): Promise<string> {
  return (await zfs(run, ['get', '-H', '-o', 'value', 'mountpoint', dataset])).stdout.trim()
}

/** DATASET's PROPERTY as zfs get prints it (`-` when unset, for a user property such as tsez:restore). */
export async function propertyOf(run: CommandRunner, dataset: string, property: string): Promise<string> {
  return (await zfs(run, ['get', '-H', '-o', 'value', property, dataset])).stdout.trim()
}

/** The file systems directly below DATASET. */
export async function childrenOf(run: CommandRunner, dataset: string): Promise<string[]> {
  const listed = await zfs(run, ['list', '-H', '-o', 'name', '-t', 'filesystem', '-d', '1', dataset])
  return listed.stdout.split('\n').filter((name) => name !== '' && name !== dataset)
}

/** The file systems cloned from SNAPSHOT (its `clones` property). */
export async function clonesOf(run: CommandRunner, source: string): Promise<string[]> {
  const value = (await zfs(run, ['get', '-H', '-o', 'value', 'clones', source])).stdout.trim()
  return value === '-' || value === '' ? [] : value.split(',')
}

/** The snapshot DATASET was cloned from, or undefined for a file system that is not a clone. */
export async function originOf(run: CommandRunner, dataset: string): Promise<string | undefined> {
  const value = (await zfs(run, ['get', '-H', '-o', 'value', 'origin', dataset])).stdout.trim()
  return value === '-' || value === '' ? undefined : value
}

function options(properties: readonly string[]): string[] {
  return properties.flatMap((property) => ['-o', property])
}
