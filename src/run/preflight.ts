// Checks made before `jail -c`: the basejail mount point and the basejail exist (thin jails), nothing is mounted in the way, RACCT is on for limits.
import {access, constants, lstat, readFile} from 'node:fs/promises'
import path from 'node:path'

import type {TsezConfig} from '../config.js'
import {jailFiles, type JailRecord} from '../jail/store.js'

/** What the host looks like for one jail that is about to start. */
export interface StartFacts {
  name: string
  /** A thick jail has its own userland: no basejail to check. */
  thick: boolean
  /** ROOT/basejail, where the fstab mounts the basejail. */
  mountPoint: string
  mountPointIsDirectory: boolean
  basejail: string
  /** BASEJAIL/bin/freebsd-version is readable: a basejail is installed. */
  basejailInstalled: boolean
  fstab: string
  /** Mount points the jail's fstab mounts, or undefined when the fstab cannot be read. */
  fstabMountPoints: string[] | undefined
  /** How many rctl rules its jail.conf adds (`tsez limits`). */
  limits: number
  /** kern.racct.enable (read only when a jail to start has limits), undefined without RACCT. */
  racct?: number
}

export async function readStartFacts(config: TsezConfig, record: JailRecord): Promise<StartFacts> {
  const mountPoint = path.join(record.root, 'basejail')
  const fstab = jailFiles(config, record.name).fstab
  return {
    name: record.name,
    thick: record.thick === true,
    mountPoint,
    mountPointIsDirectory: await lstat(mountPoint).then(
      (stats) => stats.isDirectory(),
      () => false,
    ),
    basejail: config.basejail,
    basejailInstalled: await access(path.join(config.basejail, 'bin', 'freebsd-version'), constants.R_OK).then(
      () => true,
      () => false,
    ),
    fstab,
    fstabMountPoints: await readFile(fstab, 'utf8').then(fstabMountPoints, () => undefined),
    limits: (record.limits ?? []).length,
  }
}

/** The mount point (second field) of every entry of an fstab(5) text, comments and blank lines skipped. */
export function fstabMountPoints(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.replace(/#.*/, '').trim())
    .filter((line) => line !== '')
    .map((line) => line.split(/\s+/)[1] ?? '')
    .filter((mountPoint) => mountPoint !== '')
}

/** Why the jail must not be started, as one line, or undefined when it may. MOUNTED: `mount -p` mount points. */
export function startProblem(facts: StartFacts, mounted: ReadonlySet<string>): string | undefined {
  if (!facts.thick && !facts.basejailInstalled) {
    return `no basejail is installed at ${facts.basejail} (bin/freebsd-version is missing): run \`tsez install\` first`
  }
  if (!facts.thick && !facts.mountPointIsDirectory) {
    return `the basejail mount point ${facts.mountPoint} is missing or not a directory: recreate it with \`mkdir ${facts.mountPoint}\``
  }
  if (facts.limits > 0 && facts.racct !== 1) {
    const state = facts.racct === undefined ? 'the kernel has no kern.racct.enable' : 'kern.racct.enable is 0'
    return `${facts.name} has resource limits (tsez limits ${facts.name}) and ${state}: add kern.racct.enable=1 to /boot/loader.conf and reboot, or drop the limits`
  }
  if (facts.fstabMountPoints === undefined) {
    return `cannot read ${facts.fstab}: recreate the jail's configuration with \`tsez config ${facts.name}\``
  }
  const busy = facts.fstabMountPoints.filter((point) => mounted.has(trimSlash(point)))
  if (busy.length > 0) {
    return `${busy.join(', ')} ${busy.length === 1 ? 'is' : 'are'} already mounted although the jail is stopped: unmount ${busy.length === 1 ? 'it' : 'them'} (umount) and start again`
  }
  return undefined
}

/** Mount points from `mount -p` entries, normalised for comparison. */
export function mountedPoints(mountPoints: readonly string[]): Set<string> {
  return new Set(mountPoints.map(trimSlash))
}

function trimSlash(point: string): string {
  return point.replace(/(?<=.)\/+$/, '')
}
