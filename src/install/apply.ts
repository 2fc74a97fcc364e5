// Carries out an install plan: build the tree in staging, patch it, split it, swap it in, then the flavours.
import {cp, mkdir, rename, rm} from 'node:fs/promises'
import path from 'node:path'

import {
  fetchAndInstall,
  freebsdUpdatePaths,
  readUserlandVersion,
  renderFreebsdUpdateConf,
} from '../base/freebsd-update.js'
import {newInstallRecord} from '../base/install-record.js'
import {afterSwap, buildAndSwap} from '../base/swap-install.js'
import {forgetBasedir} from '../base/update-state.js'
import type {TsezConfig} from '../config.js'
import {applyFileFlags} from '../dist/file-flags.js'
import {renderManifest, type ManifestEntry} from '../dist/manifest.js'
import type {Deps} from '../system/deps.js'
import {writeFileAtomic} from '../system/files.js'
import type {InstallPlan} from './plan.js'
import {installSet, type InstalledSet} from './set.js'
import {count} from '../ui/count.js'

// The staging flow moved to base/swap-install.ts (update -b/-i shares it); install's modules still import it here.
export {afterSwap, buildAndSwap, recoverInterruptedInstall, type StagingFill} from '../base/swap-install.js'

export interface AppliedInstall {
  sets: InstalledSet[]
  /** USERLAND_VERSION of the installed tree (after patching). */
  userland: string
  flavours: string[]
}

/** The whole install after planning: the new trees in place and committed, then what belongs with them. */
export async function applyInstall(
  config: TsezConfig,
  plan: InstallPlan,
  manifest: Map<string, ManifestEntry> | undefined,
  deps: Deps,
): Promise<AppliedInstall> {
  let sets: InstalledSet[] = []
  const fill = async (full: string) => {
    const filled = await fillFromSets(config, plan, full, deps)
    sets = filled.sets
    return filled.record
  }
  const record = await buildAndSwap(config, plan, {fill}, deps)
  await afterSwap(config, plan.basejail)
  if (manifest && plan.manifestCache) await writeFileAtomic(plan.manifestCache, renderManifest(manifest))
  const flavours = await installShippedFlavours(plan, deps)
  return {sets, userland: record.userland, flavours}
}

async function fillFromSets(config: TsezConfig, plan: InstallPlan, full: string, deps: Deps) {
  const sets: InstalledSet[] = []
  for (const set of plan.sets) sets.push(await installSet(set, plan, deps, sets.at(-1)?.tree))
  await applyFileFlags(
    deps.run,
    full,
    sets.flatMap((s) => s.flags),
  )
  let userland = await readUserlandVersion(full)
  if (plan.patch) {
    await patchTree(config, plan, full, userland, deps)
    userland = await readUserlandVersion(full)
  }
  const record = newInstallRecord({
    release: plan.release,
    userland,
    platform: plan.platform,
    mirror: plan.mirror,
    sets: sets.map(({name, file, sha256, entries}) => ({name, file, sha256, entries})),
    patched: plan.patch,
    installedAt: deps.clock.now(),
  })
  return {sets, record}
}

async function patchTree(config: TsezConfig, plan: InstallPlan, root: string, userland: string, deps: Deps) {
  const paths = freebsdUpdatePaths(config.dbdir)
  await mkdir(paths.workdir, {recursive: true, mode: 0o700})
  await writeFileAtomic(
    paths.conf,
    renderFreebsdUpdateConf({src: plan.sets.some((s) => s.name === 'src'), workdir: paths.workdir}),
  )
  const step = deps.progress.step(`patching ${plan.release.name} with freebsd-update`)
  try {
    const {installRounds} = await fetchAndInstall(deps.run, deps.env, root, paths, userland, ['fetch'])
    step.succeed(
      `freebsd-update: ${installRounds ? `installed updates in ${count(installRounds, 'round')}` : 'already up to date'}`,
    )
  } catch (error) {
    step.fail(`freebsd-update failed`)
    throw error
  } finally {
    // freebsd-update filed its state under the staging path, which no later run will name: not kept.
    await forgetBasedir(paths.workdir, root)
  }
}

/** Copies shipped flavours that are missing (never over a user's flavour), each through a temp dir and a rename. */
export async function installShippedFlavours(
  plan: Pick<InstallPlan, 'flavoursDir' | 'flavoursToInstall'>,
  deps: Deps,
): Promise<string[]> {
  await mkdir(plan.flavoursDir, {recursive: true, mode: 0o755})
  for (const name of plan.flavoursToInstall) {
    const temp = path.join(plan.flavoursDir, `.tsez-tmp-${name}`)
    await rm(temp, {recursive: true, force: true})
    await cp(path.join(deps.packageRoot, 'flavours', name), temp, {
      recursive: true,
      preserveTimestamps: true,
      verbatimSymlinks: true,
    })
    await rename(temp, path.join(plan.flavoursDir, name))
  }
  return plan.flavoursToInstall
}
