// tsez restore: verify and inspect the archive, plan, then extract into staging and commit the jail as create does.
import {randomBytes} from 'node:crypto'
import {lstat, mkdir, rename, rm, rmdir, utimes} from 'node:fs/promises'
import path from 'node:path'

import {reservedNames, type TsezConfig} from '../config.js'
import {OperationError, UsageError, describeError} from '../errors.js'
import {readUserlandVersion} from '../base/freebsd-update.js'
import {ArchiveRefusal} from '../dist/archive-rules.js'
import type {CheckedArchive, ExtractResult, ExtractedTree} from '../dist/extract-result.js'
import {startExtraction} from '../dist/tar-extraction.js'
import type {ArchiveMeta} from '../jail/archive-format.js'
import {renderJailConfFor, renderJailFstab} from '../jail/files.js'
import {beginJournal, leftoversOf, removeJournal, sweepInterruptedCreates} from '../jail/journal.js'
import {jailNameFor} from '../jail/names.js'
import {ownershipOf} from '../jail/ownership.js'
import {recoverInterruptedJailWork} from '../jail/recover.js'
import {observeRootSurroundings, resolveExisting} from '../jail/roots.js'
import {jailFiles, listJailRecords, writeJailRecord, type JailRecord} from '../jail/store.js'
import type {Deps} from '../system/deps.js'
import {makeFifos} from '../system/fifos.js'
import {pathExists, writeFileAtomic} from '../system/files.js'
import {lockHost} from '../system/lock.js'
import {withScavenges} from '../system/scavenges.js'
import {createDataset, datasetExists, setProperty} from '../system/zfs.js'
import {ezjailLayout} from './ezjail-archive.js'
import {openArchive, tarStreamOf, verifyChecksum, type OpenedArchive, type TarStream} from './archive-file.js'
import {
  TSEZ_LAYOUT,
  damagedArchive,
  inspectArchive,
  readMetaAhead,
  streamRefusal,
  type ArchiveLayout,
} from './inspect.js'
import {datasetProperties, describeRestorePlan, planRestore, type RestorePlan, type RestoreRequest} from './plan.js'
import {applyRootFlags} from './specials.js'

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
  let tar: TarStream | undefined
  try {
    // A restore starts its decompressor at once: it decodes ahead (on the other cores) while this thread sums the
    // archive, plans and takes the lock; the metadata is read from its first bytes, the reading begun right here
    // (its stream's failures have a taker from the start). Nothing is written before all of that, and the
    // decompressor only feeds this process's pipe: it is stopped on any refusal, and ends with a killed tsez. A dry
    // run reads and checks the whole archive instead.
    const ezjail = archive.compression === 'gzip'
    const layout = ezjail ? ezjailLayout(config) : TSEZ_LAYOUT
    if (!options.dryRun) tar = tarStreamOf(archive, deps.run)
    const reading: Promise<{meta: ArchiveMeta; entries?: number; bytes?: AsyncIterable<Buffer>}> =
      tar === undefined ? inspectArchive(archive, deps.run, layout) : readMetaAhead(tar, file, layout)
    reading.catch(() => undefined) // taken below, with the checksum's
    const unsummed = ezjail && !(await pathExists(`${file}.sha256`))
    if (!options.verify && !unsummed) deps.log.warn(`--no-verify: ${file} is restored without checking its sha256`)
    // The sha256 is summed while the metadata is read (both only read): nothing is planned, said or written
    // before it matched, and a mismatch is what a damaged archive is reported as.
    const checksum = options.verify && !unsummed ? verifyChecksum(archive) : Promise.resolve()
    const [summed, readOutcome] = await Promise.allSettled([checksum, reading])
    if (summed.status === 'rejected') throw summed.reason
    if (readOutcome.status === 'rejected') throw readOutcome.reason
    const read = readOutcome.value
    const {meta} = read
    const nonce = randomBytes(4).toString('hex')
    const planned = planRestore(config, options, await observe(config, options, meta, nonce, deps))
    if (Array.isArray(planned)) throw new UsageError(planned.join('; '))
    const unchecked = `${file} is an ezjail archive without a .sha256 beside it: restored unchecked`
    if (unsummed && options.dryRun) deps.log.warn(unchecked)
    const result: RestoreResult = {
      jail: planned.record,
      archive: file,
      from: {host: meta.host, created: meta.created, release: meta.release, tsez: meta.tsez},
      entries: read.entries ?? 0,
      verified: options.verify,
      dropped: planned.dropped,
      dryRun: options.dryRun,
      plan: describeRestorePlan(planned, file, layout.members.tree),
    }
    if (tar === undefined || read.bytes === undefined) return result
    const lock = await lockHost(config.dbdir, deps, `restore ${planned.record.name}`, {waitMs: options.lockWaitMs})
    try {
      for (const removed of await sweepInterruptedCreates(config, deps.run)) {
        deps.log.info(`removed ${removed}, left by an interrupted tsez create or restore`)
      }
      await recoverInterruptedJailWork(config, deps)
      // Under the lock the host may have changed since we looked: plan again before touching anything.
      const again = planRestore(config, options, await observe(config, options, meta, nonce, deps))
      if (Array.isArray(again)) throw new UsageError(again.join('; '))
      // zfs, mkfifo and chflags are noted in the lock while they run (a takeover waits for them).
      const source = {archive, layout, tar, bytes: read.bytes}
      result.entries = await apply(config, again, source, {...deps, run: lock.track(deps.run)})
      // Only now: a refused archive says one line, its refusal.
      if (unsummed) deps.log.warn(unchecked)
      for (const line of again.dropped) deps.log.warn(`not restored: ${line}`)
    } finally {
      await lock.release()
    }
    return result
  } finally {
    tar?.kill()
    await tar?.done.catch(() => undefined)
    await archive.handle.close()
  }
}

async function observe(config: TsezConfig, request: RestoreRequest, meta: ArchiveMeta, nonce: string, deps: Deps) {
  const records = await listJailRecords(config)
  const name = jailNameFor(request.name ?? meta.jail.hostname)
  const rootPath = path.resolve(config.jaildir, request.rootdir ?? name)
  // A root or dataset an interrupted create or restore of this name left is swept under the lock before anything.
  const leftovers = await leftoversOf(config, name)
  const leftover = leftovers.some((item) => item.path === rootPath || item.mountpoint === rootPath)
  const dataset = `${config.zfsParent}/${name}`
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
    datasetTaken:
      config.useZfs &&
      !leftovers.some((item) => item.kind === 'dataset' && item.path === dataset) &&
      (await datasetExists(deps.run, dataset)),
    nonce,
  }
}

/** What a restore extracts: the archive, its layout, and its tar stream from the first byte (readMetaAhead's). */
interface Source {
  archive: OpenedArchive
  layout: ArchiveLayout
  tar: TarStream
  bytes: AsyncIterable<Buffer>
}

/**
 * Journal, extraction into staging (checked as it goes), fstab, conf, root into place, flags, record (the commit),
 * journal removed; the number of members under the tree. On ZFS the tree is extracted into the jail's dataset,
 * mounted in staging, and the dataset is mounted at the root once complete. A refused archive (UsageError, exit 2)
 * leaves nothing: staging, dataset and journal are removed and the directory that held staging gets its times back.
 */
async function apply(config: TsezConfig, plan: RestorePlan, source: Source, deps: Deps): Promise<number> {
  const {record, files, staging, zfs} = plan
  const {layout} = source
  const parent = path.dirname(staging)
  const madeParent = await mkdir(parent, {recursive: true, mode: 0o755})
  const parentTimes = madeParent === undefined ? await lstat(parent) : undefined
  const dataset = zfs && {dataset: zfs.dataset, mark: zfs.mark}
  const note = {name: record.name, root: record.root, staging, ...(dataset === undefined ? {} : {zfs: dataset})}
  await beginJournal(config, note, deps.clock.now())
  let entries: number
  try {
    await mkdir(staging, {mode: 0o700})
    const tree = path.join(staging, layout.members.tree)
    if (zfs !== undefined) await createDataset(deps.run, zfs.dataset, tree, datasetProperties(zfs))
    const over = zfs === undefined ? undefined : new Map([[layout.members.tree, 'dir' as const]])
    const {extracted, checked} = await extractChecked(source, staging, deps, over)
    entries = checked.entries
    await makeFifos(deps.run, staging, extracted.fifos)
    const {treeTimes} = checked
    if (zfs !== undefined && treeTimes !== undefined) await utimes(tree, treeTimes.atime, treeTimes.mtime)
    const outcomes = await Promise.allSettled([
      writeFileAtomic(files.fstab, renderJailFstab(config, record)),
      writeFileAtomic(files.conf, renderJailConfFor(config, record)),
    ])
    const failed = outcomes.find((outcome) => outcome.status === 'rejected')
    if (failed !== undefined) throw failed.reason instanceof Error ? failed.reason : new Error(String(failed.reason))
    if (zfs === undefined) await rename(tree, record.root)
    else await setProperty(deps.run, zfs.dataset, `mountpoint=${record.root}`)
    await applyRootFlags(deps.run, record.root, layout.members.tree, extracted.flags)
    await rm(staging, {recursive: true, force: true})
    await writeJailRecord(config, record)
  } catch (error) {
    try {
      await sweepInterruptedCreates(config, deps.run, record.name)
      // The directories -r made, now empty again: removed one by one (rmdir never takes what is in one)
      if (madeParent !== undefined) await removeEmptyUpTo(parent, madeParent)
      if (parentTimes) await utimes(parent, parentTimes.atime, parentTimes.mtime)
    } catch (undoError) {
      deps.log.warn(
        `could not remove everything of the failed restore (the next tsez create, restore or delete will): ${describeError(undoError)}`,
      )
    }
    if (error instanceof UsageError) throw error
    throw new OperationError(`restoring jail ${record.name} failed, nothing of it was kept: ${describeError(error)}`, {
      cause: error,
    })
  }
  await removeJournal(config, record.name)
  return entries
}

/**
 * Extracts SOURCE's tar stream into STAGING while checking it, on this thread: the extraction engine's gate checks
 * each member before anything of it is made (src/dist/archive-rules.ts), so the archive is decompressed and parsed
 * once, and the decompressor's output goes straight into the parser (a worker thread would cost a hop per chunk,
 * and this thread has nothing else to do meanwhile), with a scavenge every few MiB (system/scavenges.ts). Throws the refusal (UsageError) of an archive refused, whenever that shows: a
 * member's refusal first, then a failed tar stream or decompressor (a damaged archive), then the end checks
 * (truncated, no tree), then any other failure.
 */
async function extractChecked(
  {archive, layout, tar, bytes}: Source,
  staging: string,
  deps: Deps,
  over: ExtractedTree | undefined,
): Promise<{extracted: ExtractResult; checked: CheckedArchive}> {
  let streamFailure: {error: unknown} | undefined
  let complete = false
  // A failed tar stream only ends the engine's input: it still checks what it got, and a member it refuses wins.
  async function* tarBytes(): AsyncGenerator<Buffer> {
    try {
      yield* withScavenges(bytes)
      complete = true
    } catch (error) {
      streamFailure = {error}
    }
  }
  const gate = {file: archive.file, layout: layout.members}
  const options = {fifos: true, gate, ...(over === undefined ? {} : {over})}
  const outcome = await startExtraction(tarBytes(), staging, options).result.then(
    (extracted) => ({extracted}),
    (error: unknown) => ({error}),
  )
  const failed = 'error' in outcome ? outcome.error : undefined
  let refusal: UsageError | undefined = failed instanceof ArchiveRefusal && !failed.atEnd ? failed : undefined
  if (refusal === undefined && streamFailure !== undefined) refusal = streamRefusal(archive.file, streamFailure.error)
  if (refusal === undefined && complete) {
    const decompressor = await tar.done.then(
      () => undefined,
      (error: unknown) => error,
    )
    if (decompressor !== undefined) refusal = damagedArchive(archive.file, decompressor)
  }
  if (refusal !== undefined || 'error' in outcome) {
    tar.kill()
    await tar.done.catch(() => undefined)
    throw refusal ?? failed
  }
  const {extracted} = outcome
  deps.log.info(`extracted ${extracted.entries} entries from ${archive.file}`)
  return {extracted, checked: extracted.checked ?? {entries: 0}}
}

/** DIR and its parents up to TOP (DIR's ancestor or DIR), each removed while empty. */
async function removeEmptyUpTo(dir: string, top: string): Promise<void> {
  for (let current = dir; ; current = path.dirname(current)) {
    await rmdir(current)
    if (current === top || path.dirname(current) === current) return
  }
}
