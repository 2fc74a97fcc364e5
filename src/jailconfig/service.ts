// tsez config: change a stopped jail's record and re-render its files; a rename moves root, conf, fstab and record.
import {lstat, rename} from 'node:fs/promises'
import path from 'node:path'

import {reservedNames, type TsezConfig} from '../config.js'
import {describeError, OperationError, quote, UsageError} from '../errors.js'
import {commitConfig, configJournalFile} from '../jail/config-journal.js'
import {renderJailConfFor, renderJailFstab} from '../jail/files.js'
import {ownershipOf} from '../jail/ownership.js'
import {recoverInterruptedJailWork} from '../jail/recover.js'
import {readRunningJails} from '../jail/running.js'
import {sweepInterruptedCreates} from '../jail/journal.js'
import {
  finishRename,
  renameJournalFile,
  rollBackRename,
  writeRenameJournal,
  type RenameJournal,
} from '../jail/rename-journal.js'
import {observeRootSurroundings, resolveExisting} from '../jail/roots.js'
import {jailNameFor} from '../jail/names.js'
import {jailFiles, listJailRecords, readJailRecord, writeJailRecord, type JailRecord} from '../jail/store.js'
import type {Deps} from '../system/deps.js'
import {writeFileAtomic} from '../system/files.js'
import {lockHost} from '../system/lock.js'
import {cpuCount} from '../system/sysctl.js'
import {planConfig, type ConfigPlan, type ConfigRequest} from './plan.js'
import {allocateEpair} from '../jail/vnet.js'
import {vnetRcOwnership, writeVnetRcFiles} from '../jail/vnet-rc.js'
import {touchesVnet} from './vnet.js'

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
    if (!options.dryRun) {
      // Under the lock no other tsez runs: whatever a killed create or rename left is finished or undone first.
      for (const removed of await sweepInterruptedCreates(config, deps.run)) {
        deps.log.info(`removed ${removed}, left by an interrupted tsez create`)
      }
      await recoverInterruptedJailWork(config, deps)
    }
    const planned = planConfig(config, options, await observe(config, name, options, deps))
    if (Array.isArray(planned)) throw new UsageError(planned.join('; '))
    const result: ConfigResult = {
      jail: planned.after,
      renamedFrom: planned.after.name === planned.before.name ? null : planned.before.name,
      dryRun: options.dryRun,
      plan: describeConfigPlan(config, planned),
    }
    if (!options.dryRun) await apply(config, planned, deps)
    return result
  } finally {
    await lock.release()
  }
}

async function observe(config: TsezConfig, name: string, request: ConfigRequest, deps: Deps) {
  const record = await readJailRecord(config, name)
  if (record === undefined) throw new UsageError(`no jail named ${quote(request.name)}; tsez list shows the jails`)
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
    ncpu: request.cpuset === undefined ? 1 : await cpuCount(deps.run),
    ...(touchesVnet(request, record) ? await observeVnet(record, jails, deps) : {}),
  }
}

/** For a VNET change: the unit a jail turned VNET would get, and who owns its rc.conf.d files. */
async function observeVnet(record: JailRecord, jails: JailRecord[], deps: Deps) {
  const listed = record.vnet === undefined ? await deps.run.tryRun('ifconfig', ['-l']) : undefined
  const host = listed?.exitCode === 0 ? listed.stdout.trim().split(/\s+/) : []
  const epair = allocateEpair(
    jails.flatMap((j) => (j.vnet === undefined ? [] : [j.vnet.epair])),
    host,
  )
  return {...(epair === undefined ? {} : {epair}), rcFiles: await vnetRcOwnership(record.root)}
}

/**
 * The same name: journal, record (the commit), conf, journal (config-journal.ts). A rename: journal, NEW's fstab,
 * conf and record, the root (the commit), dependents, OLD's files, journal.
 */
async function apply(config: TsezConfig, plan: ConfigPlan, deps: Deps): Promise<void> {
  const {before, after} = plan
  const newFiles = jailFiles(config, after.name)
  if (after.name === before.name) {
    if (after.root !== before.root) throw new OperationError('internal: root changes only with a rename')
    // The jail is stopped: its rc.conf.d files go first while it stays VNET (they name the same epair), last when
    // it leaves VNET, so a kill in between leaves only files that nothing reads.
    if (plan.rcFiles !== undefined && after.vnet !== undefined) await writeVnetRcFiles(after.root, plan.rcFiles)
    await commitConfig(config, after, deps.clock.now())
    if (plan.rcFiles !== undefined && after.vnet === undefined) await writeVnetRcFiles(after.root, plan.rcFiles)
    return
  }
  const journal: RenameJournal = {
    version: 1,
    from: before,
    to: after,
    moveRoot: plan.moveRoot,
    dependents: plan.dependents.map((d) => d.name),
    pid: process.pid,
    started: deps.clock.now().toISOString(),
  }
  await writeRenameJournal(config, journal)
  try {
    await writeFileAtomic(newFiles.fstab, renderJailFstab(config, after))
    await writeFileAtomic(newFiles.conf, renderJailConfFor(config, after))
    await writeJailRecord(config, after)
    if (plan.moveRoot) await rename(before.root, after.root)
  } catch (error) {
    await rollBackRename(config, journal).catch(() => undefined)
    throw new OperationError(
      `renaming ${before.name} to ${after.name} failed, nothing changed: ${describeError(error)}`,
    )
  }
  try {
    await finishRename(config, journal)
  } catch (error) {
    throw new OperationError(
      `jail ${before.name} is now ${after.name}, but tidying up failed (the next tsez config or create finishes ` +
        `it): ${describeError(error)}`,
    )
  }
}

export function describeConfigPlan(config: TsezConfig, plan: ConfigPlan): string[] {
  const {before, after} = plan
  const newFiles = jailFiles(config, after.name)
  if (after.name === before.name) {
    const journal = configJournalFile(config, after.name)
    const rc = Object.entries(plan.rcFiles ?? {}).map(([file, content]) =>
      content === undefined
        ? `remove ${path.join(after.root, 'etc/rc.conf.d', file)} (if tsez's)`
        : `write ${path.join(after.root, 'etc/rc.conf.d', file)}`,
    )
    const vnetAfter = after.vnet !== undefined
    return [
      ...(vnetAfter ? rc : []),
      `write ${journal} (journal)`,
      `write ${newFiles.record} (commit)`,
      `write ${newFiles.conf}`,
      `remove ${journal}`,
      ...(vnetAfter ? [] : rc),
    ]
  }
  const oldFiles = jailFiles(config, before.name)
  const journal = renameJournalFile(config, before.name)
  return [
    `write ${journal} (rename journal)`,
    `write ${newFiles.fstab}`,
    `write ${newFiles.conf}`,
    `write ${newFiles.record}${plan.moveRoot ? '' : ' (commit)'}`,
    ...(plan.moveRoot ? [`rename ${before.root} -> ${after.root} (commit)`] : []),
    ...plan.dependents.flatMap((d) => {
      const files = jailFiles(config, d.name)
      return [`write ${files.conf} (depend ${before.name} -> ${after.name})`, `write ${files.record}`]
    }),
    `remove ${oldFiles.record}`,
    `remove ${oldFiles.conf}`,
    `remove ${oldFiles.fstab}`,
    `remove ${journal}`,
  ]
}
