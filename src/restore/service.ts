// tsez restore: verify and inspect the archive, plan, then extract into staging and commit the jail as create does.
import {randomBytes} from 'node:crypto'
import {lstat, mkdir, rename, rm} from 'node:fs/promises'
import path from 'node:path'

import {reservedNames, type TsezConfig} from '../config.js'
import {OperationError, UsageError, describeError} from '../errors.js'
import {readUserlandVersion} from '../base/freebsd-update.js'
import {extractTar, type ExtractResult} from '../dist/extract.js'
import type {ArchiveMeta} from '../jail/archive-format.js'
import {recoverInterruptedConfigs} from '../jail/config-journal.js'
import {renderJailConfFor, renderJailFstab} from '../jail/files.js'
import {leftoversOf, removeJournal, sweepInterruptedCreates, writeJournal} from '../jail/journal.js'
import {jailNameFor} from '../jail/names.js'
import {ownershipOf} from '../jail/ownership.js'
import {recoverInterruptedRenames} from '../jail/rename-journal.js'
import {observeRootSurroundings, resolveExisting} from '../jail/roots.js'
import {jailFiles, listJailRecords, writeJailRecord, type JailRecord} from '../jail/store.js'
import type {Deps} from '../system/deps.js'
import {pathExists, writeFileAtomic} from '../system/files.js'
import {lockHost} from '../system/lock.js'
import {ezjailLayout} from './ezjail-archive.js'
import {TSEZ_LAYOUT, inspectArchive, openArchive, tarStreamOf, verifyChecksum, type OpenedArchive} from './inspect.js'
import {describeRestorePlan, planRestore, type RestorePlan, type RestoreRequest} from './plan.js'
import {applyRootFlags, makeFifos} from './specials.js'

export interface RestoreOptions extends RestoreRequest {
  dryRun: boolean
  lockWaitMs: number
}

export interface RestoreResult {
  jail: JailRecord
  archive: string
  /** The archive's metadata: where and when it was made. */
  from: {host: string; created: string; release: string; tsez: string}
  entries: number
  verified: boolean
  dropped: string[]
  dryRun: boolean
  plan: string[]
}

export async function restoreJail(config: TsezConfig, options: RestoreOptions, deps: Deps): Promise<RestoreResult> {
  const file = path.resolve(options.archive)
  const archive = await openArchive(file)
  try {
    const ezjail = archive.compression === 'gzip'
    const unsummed = ezjail && !(await pathExists(`${file}.sha256`))
    if (options.verify && !unsummed) await verifyChecksum(archive)
    else if (!unsummed) deps.log.warn(`--no-verify: ${file} is restored without checking its sha256`)
    const layout = ezjail ? ezjailLayout(config) : TSEZ_LAYOUT
    const {meta, entries, tree} = await inspectArchive(archive, deps.run, layout)
    const nonce = randomBytes(4).toString('hex')
    const planned = planRestore(config, options, await observe(config, options, meta, nonce))
    if (Array.isArray(planned)) throw new UsageError(planned.join('; '))
    if (unsummed) deps.log.warn(`${file} is an ezjail archive without a .sha256 beside it: restored unchecked`)
    const result: RestoreResult = {
      jail: planned.record,
      archive: file,
      from: {host: meta.host, created: meta.created, release: meta.release, tsez: meta.tsez},
      entries,
      verified: options.verify,
      dropped: planned.dropped,
      dryRun: options.dryRun,
      plan: describeRestorePlan(planned, file),
    }
    if (options.dryRun) return result
    const lock = await lockHost(config.dbdir, deps, `restore ${planned.record.name}`, {waitMs: options.lockWaitMs})
    try {
      for (const removed of await sweepInterruptedCreates(config, deps.run)) {
        deps.log.info(`removed ${removed}, left by an interrupted tsez create or restore`)
      }
      for (const line of await recoverInterruptedRenames(config)) deps.log.info(line)
      for (const line of await recoverInterruptedConfigs(config)) deps.log.info(line)
      // Under the lock the host may have changed since we looked: plan again before touching anything.
      const again = planRestore(config, options, await observe(config, options, meta, nonce))
      if (Array.isArray(again)) throw new UsageError(again.join('; '))
      for (const line of again.dropped) deps.log.warn(`not restored: ${line}`)
      await apply(config, again, archive, tree, deps)
    } finally {
      await lock.release()
    }
    return result
  } finally {
    await archive.handle.close()
  }
}

async function observe(config: TsezConfig, request: RestoreRequest, meta: ArchiveMeta, nonce: string) {
  const records = await listJailRecords(config)
  const name = jailNameFor(request.name ?? meta.jail.hostname)
  const rootPath = path.resolve(config.jaildir, request.rootdir ?? name)
  // A root an interrupted create or restore of this name left is swept under the lock before anything is made.
  const leftover = (await leftoversOf(config, name)).some((item) => item.path === rootPath)
  const root = leftover ? undefined : await lstat(rootPath).catch(() => undefined)
  const files = jailFiles(config, name)
  return {
    meta,
    records,
    reserved: reservedNames(config),
    basejailRelease: await readUserlandVersion(config.basejail).catch(() => undefined),
    root: root === undefined ? ('missing' as const) : root.isDirectory() ? ('directory' as const) : ('other' as const),
    rootReal: await resolveExisting(rootPath),
    around: await observeRootSurroundings(config, records),
    conf: await ownershipOf(files.conf, name),
    fstab: await ownershipOf(files.fstab, name),
    nonce,
  }
}

/** Journal, extraction into staging, fstab, conf, root into place, record (the commit), journal removed. */
async function apply(
  config: TsezConfig,
  plan: RestorePlan,
  archive: OpenedArchive,
  tree: string,
  deps: Deps,
): Promise<void> {
  const {record, files, staging} = plan
  await writeJournal(config, {
    version: 1,
    name: record.name,
    staging,
    root: record.root,
    ownsRoot: true,
    pid: process.pid,
    started: deps.clock.now().toISOString(),
  })
  try {
    await mkdir(path.dirname(staging), {recursive: true, mode: 0o755})
    await mkdir(staging, {mode: 0o700})
    const extracted = await extract(archive, staging, deps)
    await makeFifos(deps.run, staging, extracted.fifos)
    const outcomes = await Promise.allSettled([
      writeFileAtomic(files.fstab, renderJailFstab(config, record)),
      writeFileAtomic(files.conf, renderJailConfFor(config, record)),
    ])
    const failed = outcomes.find((outcome) => outcome.status === 'rejected')
    if (failed !== undefined) throw failed.reason instanceof Error ? failed.reason : new Error(String(failed.reason))
    await rename(path.join(staging, tree), record.root)
    await applyRootFlags(deps.run, record.root, tree, extracted.flags)
    await rm(staging, {recursive: true, force: true})
    await writeJailRecord(config, record)
  } catch (error) {
    try {
      await sweepInterruptedCreates(config, deps.run, record.name)
    } catch (undoError) {
      deps.log.warn(
        `could not remove everything of the failed restore (the next tsez create, restore or delete will): ${describeError(undoError)}`,
      )
    }
    throw new OperationError(`restoring jail ${record.name} failed, nothing of it was kept: ${describeError(error)}`, {
      cause: error,
    })
  }
  await removeJournal(config, record.name)
}

async function extract(archive: OpenedArchive, staging: string, deps: Deps): Promise<ExtractResult> {
  const step = deps.progress.step(`extracting ${archive.file}`)
  const tar = tarStreamOf(archive, deps.run)
  try {
    const [extracted] = await Promise.all([extractTar(tar.stream, staging, {fifos: true}), tar.done])
    step.succeed(`extracted ${extracted.entries} entries`)
    return extracted
  } catch (error) {
    tar.kill()
    await tar.done.catch(() => undefined)
    step.fail(`extracting ${archive.file} failed`)
    throw error
  }
}
