// tsez list: every jail tsez knows with its state, from the records, the host's files and ONE jls call.
import {lstatSync} from 'node:fs'
import {readdir} from 'node:fs/promises'

import type {TsezConfig} from '../config.js'
import {readUserlandVersion} from '../base/freebsd-update.js'
import {ownershipOf} from '../jail/ownership.js'
import {journalNames, readJournal} from '../jail/journal.js'
import {ruleText} from '../jail/limits.js'
import {readRunningJails, type RunningJail} from '../jail/running.js'
import {jailFiles, listJailRecords, type JailRecord} from '../jail/store.js'
import {describeError} from '../errors.js'
import type {Deps} from '../system/deps.js'
import {currentAddresses} from './vnet-addresses.js'

/** Bumped when ListResult's shape changes in a way a consumer could notice. */
export const LIST_SCHEMA_VERSION = 1

/** `unknown` only in the jails a change shows under --json when jls failed after the change was made. */
export type JailState = 'running' | 'stopped' | 'norun' | 'incomplete' | 'unknown'

export interface ListedJail {
  name: string
  state: JailState
  /** The kernel's jail ID while running, else null. */
  jid: number | null
  /** As recorded: jail(8) forms `[iface|]addr[/prefix]`. */
  addresses: string[]
  hostname: string
  root: string | null
  /**
   * The basejail's current USERLAND_VERSION (every thin jail runs it), null without a basejail or a root; for a
   * thick jail, its own userland when it was adopted.
   */
  release: string | null
  /** A thick jail has its own userland: no basejail, and `tsez update` leaves it alone. */
  thick: boolean
  /** Its ZFS dataset (tsez_use_zfs), null for a jail in a plain directory. */
  dataset: string | null
  flavours: string[]
  depend: string[]
  /** Its rctl rules (`tsez limits`), as `resource:action=amount[/per]`; absent when it has none. */
  limits?: string[]
  /** The CPUs it is pinned to (`tsez config --cpuset`); absent when it is not pinned. */
  cpuset?: string
  /** A VNET jail's epair, bridge, MAC, gateways and dhcp (its addresses are in `addresses`). */
  vnet?: JailRecord['vnet']
  /** Only for incomplete jails: what is wrong and what cleans it up. */
  problem?: string
  /** From its record (null for a jail without one): started without names and at boot. */
  run: boolean | null
  /** Extra jail(8) parameters (`tsez config --param`). */
  params: JailRecord['params']
  /** When it was created, and the basejail userland it was created with. */
  created: string | null
  createdRelease: string | null
}

export interface ListResult {
  version: typeof LIST_SCHEMA_VERSION
  jails: ListedJail[]
}

export async function listJails(config: TsezConfig, deps: Deps): Promise<ListResult> {
  const [records, running, release] = await Promise.all([
    listJailRecords(config),
    readRunningJails(deps.run),
    readUserlandVersion(config.basejail).catch(() => null),
  ])
  const known = new Set(records.map((r) => r.name))
  const listed = await Promise.all(
    records.map(async (record) => {
      const jail = listRecord(record, running.get(record.name), release)
      return {...jail, addresses: await currentAddresses(record, jail.jid !== null, jail.addresses, deps)}
    }),
  )
  const orphans = await orphanedJails(config, known)
  const jails = [...listed, ...orphans].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  return {version: LIST_SCHEMA_VERSION, jails}
}

/**
 * What turns a record into the jail object every command's --json shows, from one jls; with PLANNED, a record a
 * dry run would write (its root not there yet). The change is made (or planned) by then: a jls that fails does not
 * make it a failure, its jails' state is `unknown` (jid null), and a warning on stderr says why.
 */
export async function jailDescriber(
  config: TsezConfig,
  deps: Deps,
): Promise<(record: JailRecord, planned: boolean) => ListedJail> {
  const [running, release] = await Promise.all([
    readRunningJails(deps.run).catch((error: unknown) => {
      deps.log.warn(`jls failed, so the state shown is unknown (what was done stands): ${describeError(error)}`)
      return 'unknown' as const
    }),
    readUserlandVersion(config.basejail).catch(() => null),
  ])
  return (record, planned) =>
    listRecord(record, running === 'unknown' ? 'unknown' : running.get(record.name), release, planned)
}

function listRecord(
  record: JailRecord,
  live: RunningJail | 'unknown' | undefined,
  release: string | null,
  planned = false,
) {
  const rootPresent = planned || lstatSync(record.root, {throwIfNoEntry: false})?.isDirectory() === true
  const base = {
    name: record.name,
    jid: live === 'unknown' ? null : (live?.jid ?? null),
    addresses: record.vnet?.addresses ?? record.addresses,
    hostname: record.hostname,
    root: record.root,
    release: !rootPresent ? null : record.thick === true ? record.release || null : release,
    thick: record.thick === true,
    dataset: record.dataset ?? null,
    flavours: record.flavours,
    depend: record.depend,
    run: record.run,
    params: record.params,
    created: record.created,
    createdRelease: record.release || null,
    ...((record.limits ?? []).length > 0 ? {limits: (record.limits ?? []).map(ruleText)} : {}),
    ...(record.cpuset === undefined ? {} : {cpuset: record.cpuset}),
    ...(record.vnet === undefined ? {} : {vnet: record.vnet}),
  }
  if (live === 'unknown') return {...base, state: 'unknown' as const}
  if (live !== undefined) return {...base, state: 'running' as const}
  if (!rootPresent) {
    const problem = `its root ${record.root} is missing; tsez delete ${record.name} removes its configuration`
    return {...base, state: 'incomplete' as const, problem}
  }
  return {...base, state: record.run ? ('stopped' as const) : ('norun' as const)}
}

/** Jails with tsez's files (create journal, jail.conf, fstab) but no record: half-configured, never started. */
async function orphanedJails(config: TsezConfig, known: Set<string>): Promise<ListedJail[]> {
  const reasons = new Map<string, {root: string | null; what: string[]}>()
  const note = (name: string, what: string, root: string | null = null) => {
    const entry = reasons.get(name) ?? {root: null, what: []}
    entry.root ??= root
    entry.what.push(what)
    reasons.set(name, entry)
  }
  for (const name of await journalNames(config)) {
    const journal = await readJournal(config, name)
    if (journal !== undefined && !known.has(name)) note(name, 'an interrupted create', journal.root)
  }
  const confs = await readdir(config.jailconfDir).catch(() => [] as string[])
  for (const file of confs.filter((f) => f.endsWith('.conf'))) {
    const name = file.slice(0, -'.conf'.length)
    if (!known.has(name) && (await ownershipOf(jailFiles(config, name).conf, name)) === 'tsez')
      note(name, 'a jail.conf')
  }
  const fstabs = await readdir(config.fstabDir).catch(() => [] as string[])
  for (const file of fstabs.filter((f) => f.startsWith('fstab.'))) {
    const name = file.slice('fstab.'.length)
    if (!known.has(name) && (await ownershipOf(jailFiles(config, name).fstab, name)) === 'tsez') note(name, 'an fstab')
  }
  return [...reasons].map(([name, {root, what}]) => ({
    name,
    state: 'incomplete' as const,
    jid: null,
    addresses: [],
    hostname: '',
    root,
    release: null,
    thick: false,
    dataset: null,
    flavours: [],
    depend: [],
    run: null,
    params: {},
    created: null,
    createdRelease: null,
    problem: `${what.join(', ')} without a record; tsez delete ${name} removes it`,
  }))
}
