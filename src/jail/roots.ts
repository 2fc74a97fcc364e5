// Where a jail root may lie: not the host's /, not over or under another jail's root or tsez's own trees, as written and as resolved.
import {lstat, readlink, realpath} from 'node:fs/promises'
import path from 'node:path'

import type {TsezConfig} from '../config.js'
import type {JailRecord} from './store.js'

/** A path as written, and as the kernel would resolve it (symlinks followed as far as the path exists). */
export interface SeenPath {
  path: string
  real: string
}

/** What a new or moved root must keep clear of, observed on the host. */
export interface RootSurroundings {
  jaildir: SeenPath
  /** tsez's own trees and directories: the basejail, newjail, flavours, archives, confdir, dbdir, cachedir, ... */
  own: SeenPath[]
  /** The roots of the jails tsez has records for (the jail being moved left out). */
  jails: Array<SeenPath & {name: string}>
}

/** Every reason ROOT cannot be a jail root; RELATIVE when -r was relative (it must then stay under tsez_jaildir). */
export function rootPlacementProblems(root: SeenPath, around: RootSurroundings, relative: boolean): string[] {
  const problems: string[] = []
  const shown = (p: SeenPath) => (p.real === p.path ? p.path : `${p.path} (which resolves to ${p.real})`)
  const both = (test: (a: string, b: string) => boolean, other: SeenPath) =>
    test(root.path, other.path) || test(root.real, other.real)
  if (root.path === '/' || root.real === '/') return [`root directory ${shown(root)} is the host's /`]
  if (relative && !(inside(root.path, around.jaildir.path) && inside(root.real, around.jaildir.real))) {
    problems.push(
      `root directory ${shown(root)} leaves tsez_jaildir ${around.jaildir.path}; a relative -r stays under it`,
    )
  }
  const contains = (a: string, b: string) => within(b, a)
  if (both(contains, around.jaildir)) {
    problems.push(
      `root directory ${shown(root)} is or contains the jail directory ${around.jaildir.path}; choose another -r`,
    )
  }
  for (const own of around.own) {
    // Below one of tsez's directories only counts when that directory does not hold the jail directory too.
    const below =
      (within(root.path, own.path) && !within(around.jaildir.path, own.path)) ||
      (within(root.real, own.real) && !within(around.jaildir.real, own.real))
    if (below || both(contains, own)) {
      problems.push(`root directory ${shown(root)} overlaps tsez's own ${own.path}; choose another -r`)
    }
  }
  for (const jail of around.jails) {
    const where = both((a, b) => a === b, jail)
      ? 'is'
      : both(inside, jail)
        ? 'is inside'
        : both(contains, jail)
          ? 'contains'
          : undefined
    if (where !== undefined) {
      problems.push(`root directory ${shown(root)} ${where} jail ${jail.name}'s root ${jail.path}; choose another -r`)
    }
  }
  return problems
}

/** DIR is PARENT or lies below it (both absolute and normalised, as records and `mount -p` give them). */
export function within(dir: string, parent: string): boolean {
  return dir === parent || inside(dir, parent)
}

/** DIR lies strictly below PARENT. */
function inside(dir: string, parent: string): boolean {
  return dir.startsWith(parent === '/' ? '/' : `${parent}/`) && dir !== parent
}

/** FILE with every symlink resolved as far as the path exists; a dangling link is followed textually. */
export async function resolveExisting(file: string, depth = 0): Promise<string> {
  const absolute = path.resolve(file)
  try {
    return await realpath(absolute)
  } catch {
    if (absolute === '/' || depth > 40) return absolute
    const parent = await resolveExisting(path.dirname(absolute), depth + 1)
    const here = path.join(parent, path.basename(absolute))
    const link = await lstat(here).catch(() => undefined)
    if (link?.isSymbolicLink() !== true) return here
    return resolveExisting(path.resolve(parent, await readlink(here)), depth + 1)
  }
}

export async function seePath(file: string): Promise<SeenPath> {
  return {path: file, real: await resolveExisting(file)}
}

/** The host around a root: the jail directory, tsez's own paths, and every recorded jail's root but EXCEPT's. */
export async function observeRootSurroundings(
  config: TsezConfig,
  records: readonly JailRecord[],
  except?: string,
): Promise<RootSurroundings> {
  const own = [
    config.basejail,
    config.newjail,
    config.flavours,
    config.archives,
    config.confdir,
    config.dbdir,
    config.cachedir,
    config.jailconfDir,
    config.fstabDir,
  ]
  const jails = records.filter((r) => r.name !== except)
  return {
    jaildir: await seePath(config.jaildir),
    own: await Promise.all(own.map(seePath)),
    jails: await Promise.all(jails.map(async (r) => ({name: r.name, ...(await seePath(r.root))}))),
  }
}

/** Where restore builds jail NAME whose root will be ROOT (NONCE: 8 hex digits), renamed into place when complete. */
export function restoreStaging(root: string, name: string, nonce: string): string {
  return path.join(path.dirname(root), `.tsez-restore-${name}.${nonce}`)
}
