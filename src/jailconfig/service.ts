// tsez config: change a stopped jail's record and re-render its files; a rename moves root, conf, fstab and record.
import {lstat, rename, rm} from 'node:fs/promises'
import path from 'node:path'

import {reservedNames, type TsezConfig} from '../config.js'
import {OperationError, UsageError, describeError} from '../errors.js'
import {renderJailConfFor, renderJailFstab} from '../jail/files.js'
import {ownershipOf} from '../jail/ownership.js'
import {readRunningJails} from '../jail/running.js'
import {observeRootSurroundings, resolveExisting} from '../jail/roots.js'
import {jailNameFor} from '../jail/names.js'
import {jailFiles, listJailRecords, readJailRecord, writeJailRecord, type JailRecord} from '../jail/store.js'
import type {Deps} from '../system/deps.js'
import {writeFileAtomic} from '../system/files.js'
import {lockHost} from '../system/lock.js'
import {planConfig, type ConfigPlan, type ConfigRequest} from './plan.js'

export interface ConfigOptions extends ConfigRequest {
  dryRun: boolean
  lockWaitMs: number
}

export interface ConfigResult {
  jail: JailRecord
  renamedFrom: string | null
  dryRun: boolean
  plan: string[]
}

export async function configureJail(config: TsezConfig, options: ConfigOptions, deps: Deps): Promise<ConfigResult> {
  const name = jailNameFor(options.name)
  const lock = await lockHost(config.dbdir, deps, `config ${name}`, {
    waitMs: options.lockWaitMs,
    dryRun: options.dryRun,
  })
  try {
    const planned = planConfig(config, options, await observe(config, name, options, deps))
    if (Array.isArray(planned)) throw new UsageError(planned.join('; '))
    const result: ConfigResult = {
      jail: planned.after,
      renamedFrom: planned.after.name === planned.before.name ? null : planned.before.name,
      dryRun: options.dryRun,
      plan: describeConfigPlan(config, planned),
    }
    if (!options.dryRun) await apply(config, planned)
    return result
  } finally {
    await lock.release()
  }
}

async function observe(config: TsezConfig, name: string, request: ConfigRequest, deps: Deps) {
  const record = await readJailRecord(config, name)
  if (record === undefined)
    throw new UsageError(`no jail named ${JSON.stringify(request.name)}; tsez list shows the jails`)
  const newName = request.rename === undefined ? name : jailNameFor(request.rename)
  const files = jailFiles(config, newName)
  const newRoot = path.join(config.jaildir, newName)
  const jails = await listJailRecords(config)
  return {
    record,
    running: (await readRunningJails(deps.run)).has(name),
    jails,
    reserved: reservedNames(config),
    newRoot: (await lstat(newRoot).catch(() => undefined)) === undefined ? ('missing' as const) : ('present' as const),
    newRootReal: await resolveExisting(newRoot),
    around: await observeRootSurroundings(config, jails, name),
    newConf: newName === name ? ('tsez' as const) : await ownershipOf(files.conf, newName),
    newFstab: newName === name ? ('tsez' as const) : await ownershipOf(files.fstab, newName),
  }
}

/** Rename: root, new fstab and conf, new record (the commit), dependents, then the old files go. */
async function apply(config: TsezConfig, plan: ConfigPlan): Promise<void> {
  const {before, after} = plan
  const oldFiles = jailFiles(config, before.name)
  const newFiles = jailFiles(config, after.name)
  if (after.name === before.name) {
    if (after.root !== before.root) throw new OperationError('internal: root changes only with a rename')
    await writeFileAtomic(newFiles.conf, renderJailConfFor(config, after))
    await writeJailRecord(config, after)
    return
  }
  try {
    if (plan.moveRoot) await rename(before.root, after.root)
    await writeFileAtomic(newFiles.fstab, renderJailFstab(config, after))
    await writeFileAtomic(newFiles.conf, renderJailConfFor(config, after))
    await writeJailRecord(config, after)
  } catch (error) {
    await rm(newFiles.fstab, {force: true})
    await rm(newFiles.conf, {force: true})
    if (plan.moveRoot) await rename(after.root, before.root).catch(() => undefined)
    throw new OperationError(
      `renaming ${before.name} to ${after.name} failed, nothing changed: ${describeError(error)}`,
    )
  }
  for (const other of plan.dependents) {
    const updated = {...other, depend: other.depend.map((d) => (d === before.name ? after.name : d))}
    await writeFileAtomic(jailFiles(config, other.name).conf, renderJailConfFor(config, updated))
    await writeJailRecord(config, updated)
  }
  await rm(oldFiles.record, {force: true})
  await rm(oldFiles.conf, {force: true})
  await rm(oldFiles.fstab, {force: true})
}

export function describeConfigPlan(config: TsezConfig, plan: ConfigPlan): string[] {
  const {before, after} = plan
  const newFiles = jailFiles(config, after.name)
  if (after.name === before.name) return [`write ${newFiles.conf}`, `write ${newFiles.record} (commit)`]
  const oldFiles = jailFiles(config, before.name)
  return [
    ...(plan.moveRoot ? [`rename ${before.root} -> ${after.root}`] : []),
    `write ${newFiles.fstab}`,
    `write ${newFiles.conf}`,
    `write ${newFiles.record} (commit)`,
    ...plan.dependents.flatMap((d) => {
      const files = jailFiles(config, d.name)
      return [`write ${files.conf} (depend ${before.name} -> ${after.name})`, `write ${files.record}`]
    }),
    `remove ${oldFiles.record}`,
    `remove ${oldFiles.conf}`,
    `remove ${oldFiles.fstab}`,
  ]
}
