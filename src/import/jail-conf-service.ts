// tsez import jail-conf: adopt the jails of a classic jail.conf(5) in place, as thick jails; FILE is never changed.
import {readdirSync, readFileSync, statSync} from 'node:fs'
import path from 'node:path'

import type {TsezConfig} from '../config.js'
import {quote, UsageError} from '../errors.js'
import {readUserlandVersion} from '../base/freebsd-update.js'
import {parseJailConf, type JailConfFile} from '../jail/conf-parse.js'
import {writeJailFilesAndRecord} from '../jail/files.js'
import {sweepKilledWrites} from '../jail/journal.js'
import {recoverInterruptedJailWork} from '../jail/recover.js'
import {ownershipOf} from '../jail/ownership.js'
import {observeRootSurroundings, rootPlacementProblems, seePath} from '../jail/roots.js'
import {readRunningJails} from '../jail/running.js'
import {jailFiles, listJailRecords, type JailRecord} from '../jail/store.js'
import type {Deps} from '../system/deps.js'
import {lockHost} from '../system/lock.js'
import {adoptClassicJail} from './jail-conf.js'
import {readOptional} from './observe.js'

export interface JailConfImportOptions {
  file: string
  names: string[]
  dryRun: boolean
  lockWaitMs: number
}

export interface JailConfImportResult {
  imported: JailRecord[]
  already: string[]
  refused: Array<{name: string; reason: string}>
  warnings: string[]
  files: string[]
  steps: string[]
  dryRun: boolean
}

const MAX_FILE_BYTES = 1 << 20

export async function importJailConf(
  config: TsezConfig,
  options: JailConfImportOptions,
  deps: Deps,
): Promise<JailConfImportResult> {
  const file = path.resolve(options.file)
  const text = await readOptional(file)
  if (text === undefined) throw new UsageError(`${file} does not exist`)
  let parsed
  try {
    parsed = parseJailConf(text, {fileName: file, include: readIncluded})
  } catch (error) {
    throw new UsageError(`${(error as Error).message}; nothing was imported`)
  }
  for (const name of options.names) {
    if (!parsed.some((j) => j.name === name)) throw new UsageError(`${file} defines no jail named ${quote(name)}`)
  }
  const chosen = parsed.filter((j) => options.names.length === 0 || options.names.includes(j.name))
  const lock = await lockHost(config.dbdir, deps, 'import jail-conf', {
    waitMs: options.lockWaitMs,
    dryRun: options.dryRun,
  })
  try {
    if (!options.dryRun) await recoverInterruptedJailWork(config, deps)
    const records = await listJailRecords(config)
    const around = await observeRootSurroundings(config, records)
    const now = deps.clock.now()
    const result: JailConfImportResult = {imported: [], already: [], refused: [], warnings: [], files: [], steps: [], dryRun: options.dryRun} // prettier-ignore
    for (const jail of chosen) {
      const fstabName = jail.params.get('mount.fstab')
      const fstabPath = fstabName === undefined || fstabName === true ? undefined : fstabName.at(-1)
      const fstabText = fstabPath === undefined ? undefined : await readOptional(fstabPath).catch(() => undefined)
      const fstab = fstabPath === undefined || fstabText === undefined ? undefined : {path: fstabPath, text: fstabText}
      const adopted = adoptClassicJail(config, {parsed: jail, fstab}, {file, now})
      if (!adopted.ok) {
        result.refused.push({name: adopted.name, reason: adopted.reason})
        continue
      }
      const record = adopted.record
      const existing = records.find((r) => r.name === record.name)
      if (existing?.origin?.file === file && existing.root === record.root) {
        result.already.push(record.name)
        continue
      }
      const problem = await placementProblem(config, record, existing, around, result.imported)
      if (problem !== undefined) {
        result.refused.push({name: record.name, reason: `${jail.file}:${jail.line}: ${problem}`})
        continue
      }
      record.release = await readUserlandVersion(record.root).catch(() => '')
      result.imported.push(record)
    }
    const managed = new Set([...records.map((r) => r.name), ...result.imported.map((r) => r.name)])
    for (const record of result.imported) {
      for (const missing of record.depend.filter((d) => !managed.has(d))) {
        result.warnings.push(
          `${record.name} depends on ${missing}, which tsez does not manage; the dependency is dropped`,
        )
      }
      record.depend = record.depend.filter((d) => managed.has(d))
      const paths = jailFiles(config, record.name)
      result.files.push(paths.fstab, paths.conf, paths.record)
    }
    result.steps = steps(file, result.imported, await readRunningJails(deps.run))
    if (options.dryRun) return result
    await sweepKilledWrites(config)
    for (const record of result.imported) await writeJailFilesAndRecord(config, record)
    return result
  } finally {
    await lock.release()
  }
}

/** Why RECORD cannot be adopted here: a name in use, files in the way, or a root tsez's rules refuse. */
async function placementProblem(
  config: TsezConfig,
  record: JailRecord,
  existing: JailRecord | undefined,
  around: Awaited<ReturnType<typeof observeRootSurroundings>>,
  earlier: readonly JailRecord[],
): Promise<string | undefined> {
  if (existing !== undefined) return `tsez already has a jail named ${record.name} (root ${existing.root})`
  const paths = jailFiles(config, record.name)
  for (const file of [paths.conf, paths.fstab]) {
    if ((await ownershipOf(file, record.name)) === 'foreign') {
      return `${file} exists and was not written by tsez (a jail defined there itself: move that file and import it from its new place)`
    }
  }
  if (!statSync(record.root, {throwIfNoEntry: false})?.isDirectory()) return `path ${record.root} is not a directory`
  const others = await Promise.all(earlier.map(async (r) => ({name: r.name, ...(await seePath(r.root))})))
  return rootPlacementProblems(await seePath(record.root), {...around, jails: [...around.jails, ...others]}, false)[0]
}

/** An `.include` pattern's files, sorted as glob(3) returns them; only the last component may hold * ? [. */
function readIncluded(pattern: string): JailConfFile[] {
  const dir = path.dirname(pattern)
  const base = path.basename(pattern)
  if (/[*?[]/.test(dir)) throw new Error(`.include "${pattern}": tsez expands wildcards in the file name only`)
  const matcher = new RegExp(
    `^${base
      .replace(/[.+^${}()|\\]/g, '\\$&')
      .replace(/\*/g, '[^/]*')
      .replace(/\?/g, '[^/]')}$`,
  )
  const names = /[*?[]/.test(base) ? readdirSync(dir).filter((n) => matcher.test(n) && !n.startsWith('.')) : [base]
  return names.sort().flatMap((name) => {
    const file = path.join(dir, name)
    const info = statSync(file, {throwIfNoEntry: false})
    if (info === undefined) return []
    if (!info.isFile() || info.size > MAX_FILE_BYTES) throw new Error(`.include "${file}" is not a small regular file`)
    return [{name: file, text: readFileSync(file, 'utf8')}]
  })
}

function steps(file: string, imported: readonly JailRecord[], running: {has(name: string): boolean}): string[] {
  if (imported.length === 0) return []
  const names = imported.map((r) => r.name).join(' ')
  const lines = [
    `remove the jails ${names} from ${file} (and from jail_list in rc.conf): tsez runs them from now on; ${file} was not changed`,
    'sysrc tsez_enable=YES  # tsez starts them at boot',
  ]
  const up = imported.filter((r) => running.has(r.name)).map((r) => r.name)
  if (up.length > 0) lines.push(`running now, adopted as running: ${up.join(' ')}`)
  return lines
}
