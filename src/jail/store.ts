// Per-jail metadata tsez owns (tsez_confdir/NAME.json) and the paths of each jail's rendered files.
import {readFileSync} from 'node:fs'
import {readdir} from 'node:fs/promises'
import path from 'node:path'

import type {TsezConfig} from '../config.js'
import {OperationError} from '../errors.js'
import {writeFileAtomic} from '../system/files.js'
import type {FstabEntry} from './fstab.js'
import type {VnetSettings} from './vnet.js'
import type {LimitRule} from './limits.js'

/** Bumped when the record's shape changes; readers refuse versions they do not know. */
export const JAIL_RECORD_VERSION = 1

/** Inside a jail root: first-start scripts from flavours, run once by `tsez start` and then removed. */
export const FIRSTBOOT_DIR = 'var/db/tsez/firstboot'

export interface JailRecord {
  version: typeof JAIL_RECORD_VERSION
  /** The jail(8) name: the requested name with every character outside [A-Za-z0-9_] turned into _. */
  name: string
  hostname: string
  root: string
  /** jail(8) address forms: [iface|]addr[/prefix]. */
  addresses: string[]
  flavours: string[]
  /** Started by `tsez start` without names and at boot. */
  run: boolean
  depend: string[]
  /** Extra jail(8) parameters from `tsez config --param` (lists from an import: several exec commands). */
  params: Record<string, string | number | boolean | string[]>
  /** Basejail userland when the jail was created. */
  release: string
  created: string
  /** Mounts of its own after the basejail's in the jail's fstab (carried over by an import). */
  mounts?: FstabEntry[]
  /** Where an imported jail came from; `tsez import ezjail --undo` forgets exactly these. */
  origin?: JailOrigin
  /**
   * A full userland of its own (a classic jail.conf jail): no basejail mount, none of tsez's jail.conf defaults
   * (its parameters are exactly its own), and `update` leaves it alone.
   */
  thick?: true
  /** A VNET jail (create --vnet): its epair, bridge, MAC and jail-side addresses; `addresses` is then empty. */
  vnet?: VnetSettings
  /** rctl(8) rules (`tsez limits`), added by the jail.conf's exec.created and removed by its exec.poststop. */
  limits?: LimitRule[]
  /** cpuset(1) CPU list (`tsez config --cpuset`), canonical form; the jail is bound from its creation. */
  cpuset?: string
  /** With tsez_use_zfs: the jail's own dataset (PARENT/NAME, a clone of the newjail's snapshot), mounted at root. */
  dataset?: string
}

export interface JailOrigin {
  from: 'ezjail' | 'jail-conf'
  /** The file that defined the jail (ezjail's PREFIX/etc/ezjail/NAME[.norun], or the jail.conf). */
  file: string
  importedAt: string
  /** An ezjail ZFS jail's dataset (`_parentzfs`/hostname), mounted at its root; tsez does not manage it yet. */
  dataset?: string
}

export interface JailFiles {
  conf: string
  fstab: string
  record: string
}

export function jailFiles(config: TsezConfig, name: string): JailFiles {
  return {
    conf: path.join(config.jailconfDir, `${name}.conf`),
    fstab: path.join(config.fstabDir, `fstab.${name}`),
    record: path.join(config.confdir, `${name}.json`),
  }
}

export function readJailRecord(config: TsezConfig, name: string): Promise<JailRecord | undefined> {
  return Promise.resolve().then(() => readRecordFile(jailFiles(config, name).record))
}

/** Synchronous on purpose: `list` reads a thousand of these small files, and a promise per read costs 4x. */
function readRecordFile(file: string): JailRecord | undefined {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new OperationError(`cannot read ${file}: ${(error as Error).message}`)
  }
  return parseJailRecord(text, file)
}

export function parseJailRecord(text: string, file: string): JailRecord {
  let record: Partial<JailRecord>
  try {
    record = JSON.parse(text) as Partial<JailRecord>
  } catch {
    throw new OperationError(`${file} is not valid JSON: repair or remove it`)
  }
  if (record.version !== JAIL_RECORD_VERSION || typeof record.name !== 'string' || typeof record.root !== 'string') {
    throw new OperationError(`${file} is not a tsez jail record of version ${JAIL_RECORD_VERSION}`)
  }
  return record as JailRecord
}

/** Every jail tsez knows, sorted by name. */
export async function listJailRecords(config: TsezConfig): Promise<JailRecord[]> {
  const names = (await readdir(config.confdir).catch(() => [] as string[]))
    .filter((file) => file.endsWith('.json') && !file.startsWith('.'))
    .map((file) => file.slice(0, -'.json'.length))
    .sort()
  const records = names.map((name) => readRecordFile(jailFiles(config, name).record))
  return records.filter((record): record is JailRecord => record !== undefined)
}

export async function writeJailRecord(config: TsezConfig, record: JailRecord): Promise<void> {
  await writeFileAtomic(jailFiles(config, record.name).record, JSON.stringify(record, null, 2) + '\n', 0o600)
}
