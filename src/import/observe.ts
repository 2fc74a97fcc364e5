// What `tsez import ezjail` reads: ezjail's jail files and fstabs, tsez's records and files, the basejail both share.
import {readFile, readdir, stat} from 'node:fs/promises'
import path from 'node:path'

import {reservedNames, type TsezConfig} from '../config.js'
import {OperationError, UsageError} from '../errors.js'
import {readUserlandVersion} from '../base/freebsd-update.js'
import {readInstallRecord, type InstallRecord} from '../base/install-record.js'
import {ownershipOf, type Ownership} from '../jail/ownership.js'
import {observeRootSurroundings, resolveExisting, seePath, type SeenPath} from '../jail/roots.js'
import {jailFiles, listJailRecords} from '../jail/store.js'
import type {Deps} from '../system/deps.js'
import type {EzjailHost} from '../jail/ezjail-host.js'
import type {EzjailJailSource} from '../jail/ezjail-jail.js'
import type {EzjailSeen} from './ezjail-plan.js'
import {readShAssignments} from '../jail/sh-assignments.js'

export interface EzjailPaths {
  ezjailConf: string
  ezjailDir: string
  fstabDir: string
}

/** Jail files rc.d/ezjail reads: SAFE or SAFE.norun (anything else, a backup say, it ignores too). */
const JAIL_FILE = /^[A-Za-z0-9_]+(\.norun)?$/

/** ezjail's files are root's and small; anything larger is not an ezjail file. */
const MAX_FILE_BYTES = 1 << 20

export async function observeEzjail(
  config: TsezConfig,
  host: EzjailHost,
  paths: EzjailPaths,
  deps: Deps,
): Promise<{seen: EzjailSeen; ignored: string[]}> {
  const names = await readdir(paths.ezjailDir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') throw new UsageError(`${paths.ezjailDir} does not exist: no ezjail jails to import`)
    throw new UsageError(`cannot read ${paths.ezjailDir}: ${error.message}`)
  })
  await refuseSharedFiles(config, paths)
  const ignored: string[] = []
  const sources: EzjailJailSource[] = []
  for (const fileName of names.sort()) {
    const file = path.join(paths.ezjailDir, fileName)
    if (!JAIL_FILE.test(fileName)) {
      ignored.push(`ignored ${file}: not a jail file name (rc.d/ezjail ignores it too)`)
      continue
    }
    const text = await readOptional(file)
    if (text === undefined) continue
    const fstabPath = path.join(paths.fstabDir, `fstab.${safeNameOf(fileName)}`)
    const fstab = await readOptional(fstabPath)
    sources.push({fileName, path: file, text, fstab: fstab === undefined ? undefined : {path: fstabPath, text: fstab}})
  }
  const records = await listJailRecords(config)
  const files = new Map<string, {conf: Ownership; fstab: Ownership}>()
  const roots = new Map<string, SeenPath>()
  for (const source of sources) {
    const safe = safeNameOf(source.fileName)
    const jail = jailFiles(config, safe)
    files.set(safe, {conf: await ownershipOf(jail.conf, safe), fstab: await ownershipOf(jail.fstab, safe)})
    const root = readShAssignments(source.text)
      .values.get(`jail_${safe}_rootdir`)
      ?.replace(/(?<=.)\/+$/, '')
    if (root?.startsWith('/') === true && (await isDirectory(root))) roots.set(safe, await seePath(root))
  }
  const seen: EzjailSeen = {
    host,
    sources,
    records,
    reserved: reservedNames(config),
    files,
    roots,
    around: await observeRootSurroundings(config, records),
    userland: await readUserlandVersion(host.basejail),
    now: deps.clock.now(),
  }
  return {seen, ignored}
}

/** The jail names ezjail's directory defines (none when it is gone: the undo then has only tsez's records). */
export async function ezjailNames(dir: string): Promise<string[]> {
  const names = await readdir(dir).catch(() => [] as string[])
  return [...new Set(names.filter((n) => JAIL_FILE.test(n)).map(safeNameOf))]
}

function safeNameOf(fileName: string): string {
  return fileName.replace(/\.norun$/, '')
}

/**
 * tsez must share ezjail's basejail and newjail (the jails' symlinks point into the one they mount) and must not
 * write where ezjail keeps its own files: both are the admin's tsez.conf to set, so both are bad input (exit 2).
 */
async function refuseSharedFiles(config: TsezConfig, paths: EzjailPaths): Promise<void> {
  const [tsezFstab, ezjailFstab] = await Promise.all([
    resolveExisting(config.fstabDir),
    resolveExisting(paths.fstabDir),
  ])
  if (tsezFstab === ezjailFstab) {
    throw new UsageError(
      `tsez_fstab_dir ${config.fstabDir} is where ezjail keeps its fstab.NAME files, and the import changes none of ` +
        `ezjail's files: set another, e.g. \`sysrc -f ${config.file ?? '/usr/local/etc/tsez.conf'} ` +
        'tsez_fstab_dir=/usr/local/etc/tsez/fstab`, and import again',
    )
  }
  const [tsezConf, ezjailDir] = await Promise.all([
    resolveExisting(config.jailconfDir),
    resolveExisting(paths.ezjailDir),
  ])
  if (tsezConf === ezjailDir) {
    throw new UsageError(`tsez_jailconf_dir ${config.jailconfDir} is ezjail's own directory; set another in tsez.conf`)
  }
}

/** The install record to write for ezjail's basejail when tsez has none; refuses a basejail tsez does not share. */
export async function observeBase(
  config: TsezConfig,
  host: EzjailHost,
  deps: Deps,
): Promise<{adopt: InstallRecord | undefined}> {
  for (const [key, ours, theirs] of [
    ['tsez_basejail', config.basejail, host.basejail],
    ['tsez_newjail', config.newjail, host.newjail],
  ] as const) {
    if ((await resolveExisting(ours)) !== (await resolveExisting(theirs))) {
      throw new UsageError(
        `ezjail's jails use ${theirs}, but ${key} is ${ours}: set ${key}="${theirs}" in ` +
          `${config.file ?? '/usr/local/etc/tsez.conf'} (tsez_basejail="${host.basejail}" tsez_newjail="${host.newjail}") and import again`,
      )
    }
  }
  if ((await readInstallRecord(config)) !== undefined) return {adopt: undefined}
  const userland = await readUserlandVersion(host.basejail)
  const uname = async (flag: string) => {
    const result = await deps.run.tryRun('uname', [flag])
    if (result.exitCode !== 0) throw new OperationError(`uname ${flag} failed: cannot tell the host platform`)
    return result.stdout.trim()
  }
  const adopt: InstallRecord = {
    release: userland.replace(/-p[0-9]+$/, ''),
    userland,
    machine: await uname('-m'),
    arch: await uname('-p'),
    mirror: undefined,
    sets: [],
    adoptedFrom: 'ezjail',
    installedAt: deps.clock.now().toISOString(),
  }
  return {adopt}
}

/** FILE's text, or undefined when it does not exist; anything but a small regular file is refused. */
export async function readOptional(file: string): Promise<string | undefined> {
  const info = await stat(file).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined
    throw new UsageError(`cannot read ${file}: ${error.message}`)
  })
  if (info === undefined) return undefined
  if (!info.isFile()) throw new UsageError(`${file} is not a regular file`)
  if (info.size > MAX_FILE_BYTES) throw new UsageError(`${file} is ${info.size} bytes long; no ezjail file is`)
  return readFile(file, 'utf8')
}

async function isDirectory(file: string): Promise<boolean> {
  return (await stat(file).catch(() => undefined))?.isDirectory() === true
}
