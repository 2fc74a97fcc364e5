// tsez import ezjail: observe ezjail's files (never run them, never change them), plan, and write tsez's own under the lock.
import {rm} from 'node:fs/promises'

import type {TsezConfig} from '../config.js'
import {UsageError} from '../errors.js'
import {installRecordPath, readInstallRecord, renderInstallRecord} from '../base/install-record.js'
import {writeJailFilesAndRecord} from '../jail/files.js'
import {sweepKilledWrites} from '../jail/journal.js'
import {jailNameFor} from '../jail/names.js'
import {recoverInterruptedJailWork} from '../jail/recover.js'
import {ownershipOf} from '../jail/ownership.js'
import {readRunningJails} from '../jail/running.js'
import {jailFiles, listJailRecords, type JailRecord} from '../jail/store.js'
import type {Deps} from '../system/deps.js'
import {writeFileAtomic} from '../system/files.js'
import {lockHost} from '../system/lock.js'
import {readEzjailHost} from '../jail/ezjail-host.js'
import {planEzjailImport, type ImportPlan} from './ezjail-plan.js'
import {ezjailNames, observeBase, observeEzjail, readOptional, type EzjailPaths} from './observe.js'
import {nextSteps, undoSteps} from './steps.js'

export type {EzjailPaths} from './observe.js'

export interface ImportOptions extends EzjailPaths {
  names: string[]
  dryRun: boolean
  lockWaitMs: number
}

export interface ImportResult {
  imported: JailRecord[]
  already: string[]
  refused: ImportPlan['refused']
  warnings: string[]
  /** The install record written for ezjail's basejail when tsez had none. */
  adoptedBase: string | null
  /** Every file the import writes (or, with --dry-run, would write). */
  files: string[]
  steps: string[]
  dryRun: boolean
}

export async function importEzjail(config: TsezConfig, options: ImportOptions, deps: Deps): Promise<ImportResult> {
  const lock = await lockHost(config.dbdir, deps, 'import ezjail', {waitMs: options.lockWaitMs, dryRun: options.dryRun})
  try {
    if (!options.dryRun) await recoverInterruptedJailWork(config, deps)
    const host = readEzjailHost(await readOptional(options.ezjailConf), options.ezjailConf)
    const base = await observeBase(config, host, deps)
    const {seen, ignored} = await observeEzjail(config, host, options, deps)
    const plan = planEzjailImport(config, seen, options.names)
    const running = await readRunningJails(deps.run)
    const files = plan.jails.flatMap((r) => {
      const paths = jailFiles(config, r.name)
      return [paths.fstab, paths.conf, paths.record]
    })
    if (base.adopt !== undefined) files.unshift(installRecordPath(config))
    const result: ImportResult = {
      imported: plan.jails,
      already: plan.already,
      refused: plan.refused,
      warnings: [...ignored, ...plan.warnings],
      adoptedBase: base.adopt === undefined ? null : host.basejail,
      files,
      steps: nextSteps(config, host, plan, running),
      dryRun: options.dryRun,
    }
    if (options.dryRun) return result
    // Under the lock no other tsez runs: a temporary file beside a record or conf is a killed write's.
    await sweepKilledWrites(config)
    if (base.adopt !== undefined && plan.jails.length > 0) {
      await writeFileAtomic(installRecordPath(config), renderInstallRecord(base.adopt), 0o644)
    } else result.adoptedBase = null
    for (const record of plan.jails) await writeJailFilesAndRecord(config, record)
    return result
  } finally {
    await lock.release()
  }
}

export interface UndoResult {
  /** The jails whose tsez files were removed; ezjail's own files and the jails' roots are untouched. */
  forgotten: string[]
  files: string[]
  steps: string[]
  dryRun: boolean
}

/** Forgets the jails an ezjail import made (NAMES, or all): their record, and the jail.conf and fstab tsez wrote. */
export async function undoEzjailImport(
  config: TsezConfig,
  options: {names: string[]; dryRun: boolean; lockWaitMs: number; ezjailDir: string},
  deps: Deps,
): Promise<UndoResult> {
  const lock = await lockHost(config.dbdir, deps, 'import ezjail --undo', {
    waitMs: options.lockWaitMs,
    dryRun: options.dryRun,
  })
  try {
    if (!options.dryRun) await recoverInterruptedJailWork(config, deps)
    const records = await listJailRecords(config)
    const imported = records.filter((r) => r.origin?.from === 'ezjail')
    const wanted = new Set(options.names.map(jailNameFor))
    for (const name of wanted) {
      if (!imported.some((r) => r.name === name)) throw new UsageError(`no jail named ${name} was imported from ezjail`)
    }
    const chosen = imported.filter((r) => wanted.size === 0 || wanted.has(r.name))
    // An import killed before a jail's record leaves that jail's files: tsez's, for a name ezjail has, no record.
    const unrecorded =
      wanted.size > 0 ? [] : (await ezjailNames(options.ezjailDir)).filter((n) => !records.some((r) => r.name === n))
    const files: string[] = []
    for (const name of [...unrecorded, ...chosen.map((r) => r.name)]) {
      const paths = jailFiles(config, name)
      for (const file of [paths.conf, paths.fstab]) if ((await ownershipOf(file, name)) === 'tsez') files.push(file)
      if (chosen.some((r) => r.name === name)) files.push(paths.record)
    }
    const install = await readInstallRecord(config)
    // ezjail's basejail is forgotten with the last jail: an install record alone would make tsez treat it as its own.
    const forgetBase = install?.adoptedFrom === 'ezjail' && records.every((r) => chosen.includes(r))
    if (forgetBase) files.push(installRecordPath(config))
    if (!options.dryRun) {
      await sweepKilledWrites(config)
      // Each record goes after its files: a kill part way leaves a jail tsez still lists, and --undo again ends it.
      for (const file of files) await rm(file, {force: true})
    }
    const forgotten = chosen.map((r) => r.name)
    return {forgotten, files, steps: undoSteps(forgotten), dryRun: options.dryRun}
  } finally {
    await lock.release()
  }
}
