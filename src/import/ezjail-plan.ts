// Planning `tsez import ezjail`: which jails become tsez's, in which start order, and which stay ezjail's and why.
import type {TsezConfig} from '../config.js'
import {quote, UsageError} from '../errors.js'
import {dependencyProblems} from '../jail/depend.js'
import {jailFilesProblem} from '../jail/files.js'
import {validateJailName} from '../jail/names.js'
import type {Ownership} from '../jail/ownership.js'
import {rootPlacementProblems, type RootSurroundings, type SeenPath} from '../jail/roots.js'
import {jailFiles, type JailRecord} from '../jail/store.js'
import type {EzjailHost} from '../jail/ezjail-host.js'
import {readEzjailJail, type AdoptedJail, type EzjailJailSource} from '../jail/ezjail-jail.js'

/** The host as the import found it. */
export interface EzjailSeen {
  host: EzjailHost
  /** Every file in ezjail's jail directory, sorted by name. */
  sources: EzjailJailSource[]
  records: JailRecord[]
  reserved: string[]
  /** Per candidate jail name: whether its jail.conf and fstab paths are free, tsez's, or someone else's. */
  files: Map<string, {conf: Ownership; fstab: Ownership}>
  /** Per candidate jail name: its root as written and resolved. */
  roots: Map<string, SeenPath>
  around: RootSurroundings
  /** The basejail's userland (bin/freebsd-version) every imported jail runs. */
  userland: string
  now: Date
}

export interface ImportPlan {
  /** The records to write (their jail.conf and fstab are rendered from them), in ezjail's file order. */
  jails: JailRecord[]
  /** Jails tsez already manages from an earlier import of the same file. */
  already: string[]
  refused: Array<{name: string; reason: string}>
  warnings: string[]
}

/** Plans the import of WANTED (names or hostnames; every jail when empty); throws UsageError for a bad request. */
export function planEzjailImport(config: TsezConfig, seen: EzjailSeen, wanted: readonly string[]): ImportPlan {
  const refused: ImportPlan['refused'] = []
  const readable: AdoptedJail[] = []
  const bySafe = new Map<string, EzjailJailSource[]>()
  for (const source of seen.sources) {
    const safe = source.fileName.replace(/\.norun$/, '')
    bySafe.set(safe, [...(bySafe.get(safe) ?? []), source])
  }
  const chosen = chooseSources(bySafe, wanted, seen.host)
  // Every jail's rcorder header counts for the order, chosen or not; only the chosen ones are imported.
  const everyReadable: AdoptedJail[] = []
  for (const [safe, sources] of bySafe) {
    const read = sources.length === 1 ? readEzjailJail(sources[0] as EzjailJailSource, seen.host, config) : undefined
    if (read?.ok === true) everyReadable.push(read.jail)
    if (!chosen.has(safe)) continue
    if (read === undefined) {
      refused.push({name: safe, reason: `both ${sources.map((s) => s.path).join(' and ')} exist; remove one`})
    } else if (read.ok) readable.push(read.jail)
    else refused.push({name: read.name, reason: read.reason})
  }

  const already: string[] = []
  const candidates: AdoptedJail[] = []
  for (const jail of readable) {
    const problem = candidateProblem(config, seen, jail, readable)
    if (problem === 'already') already.push(jail.fields.name)
    else if (problem !== undefined) refused.push({name: jail.fields.name, reason: `${jail.file}: ${problem}`})
    else candidates.push(jail)
  }

  const warnings: string[] = []
  const managed = new Set([...seen.records.map((r) => r.name), ...candidates.map((j) => j.fields.name)])
  const order = startOrder(everyReadable)
  let records = candidates.map((jail): JailRecord => {
    const depend: string[] = []
    for (const name of order.get(jail.fields.name) ?? []) {
      if (managed.has(name)) depend.push(name)
      else
        warnings.push(
          `${jail.fields.name} starts after ${name} in ezjail's order, which stays ezjail's; import ${name} too to keep it`,
        )
    }
    return {
      version: 1,
      ...jail.fields,
      flavours: [],
      depend,
      release: seen.userland,
      created: seen.now.toISOString(),
      origin: {
        from: 'ezjail',
        file: jail.file,
        importedAt: seen.now.toISOString(),
        ...(jail.dataset === undefined ? {} : {dataset: jail.dataset}),
      },
    }
  })
  const {cycles} = dependencyProblems([...seen.records, ...records])
  const onCycle = new Map(cycles.flatMap((cycle) => cycle.map((name) => [name, cycle] as const)))
  for (const record of records.filter((r) => onCycle.has(r.name))) {
    const cycle = onCycle.get(record.name) ?? []
    refused.push({name: record.name, reason: `its rcorder REQUIRE/BEFORE lines form a cycle ${cycle.join(' -> ')}`})
  }
  records = records.filter((r) => {
    if (onCycle.has(r.name)) return false
    const problem = jailFilesProblem(config, r)
    if (problem !== undefined) refused.push({name: r.name, reason: `${r.origin?.file ?? r.name}: ${problem}`})
    return problem === undefined
  })
  return {jails: records, already, refused, warnings}
}

/** The jail files to read: every one, or those WANTED names (or hostnames) map to; an unknown name is bad input. */
function chooseSources(
  bySafe: Map<string, EzjailJailSource[]>,
  wanted: readonly string[],
  host: EzjailHost,
): Map<string, EzjailJailSource[]> {
  if (wanted.length === 0) return bySafe
  const chosen = new Map<string, EzjailJailSource[]>()
  for (const name of wanted) {
    const safe = name.replace(/[^A-Za-z0-9_]/g, '_')
    const sources = bySafe.get(safe)
    if (sources === undefined)
      throw new UsageError(
        `no ezjail jail named ${quote(name)} (no ${safe} or ${safe}.norun in ezjail's directory for ${host.jaildir})`,
      )
    chosen.set(safe, sources)
  }
  return chosen
}

/** Why JAIL cannot become a tsez jail now; 'already' when an earlier import of the same file made it one. */
function candidateProblem(
  config: TsezConfig,
  seen: EzjailSeen,
  jail: AdoptedJail,
  all: readonly AdoptedJail[],
): string | undefined {
  const {name, root} = jail.fields
  const record = seen.records.find((r) => r.name === name)
  if (record?.origin?.file === jail.file && record.root === root) return 'already'
  if (record !== undefined)
    return `tsez already has a jail named ${name} (root ${record.root}); it was not imported from here`
  const nameProblem = validateJailName(name, {existing: [], reserved: seen.reserved})[0]
  if (nameProblem !== undefined) return nameProblem
  const files = jailFiles(config, name)
  const owned = seen.files.get(name)
  if (owned?.conf === 'foreign') return `${files.conf} exists and was not written by tsez`
  if (owned?.fstab === 'foreign') return `${files.fstab} exists and was not written by tsez`
  const twin = all.find((other) => other !== jail && other.fields.root === root)
  if (twin !== undefined) return `jail ${twin.fields.name} has the same rootdir ${root}`
  const where = seen.roots.get(name)
  if (where === undefined) return `rootdir ${root} does not exist`
  const others = all.filter((other) => other !== jail && seen.roots.has(other.fields.name))
  const around = {
    ...seen.around,
    jails: [
      ...seen.around.jails,
      ...others.map((o) => ({name: o.fields.name, ...(seen.roots.get(o.fields.name) as SeenPath)})),
    ],
  }
  return rootPlacementProblems(where, around, false)[0]
}

/** Per jail, the jails rcorder starts before it: providers of what it REQUIREs, and jails naming it in BEFORE. */
function startOrder(jails: readonly AdoptedJail[]): Map<string, string[]> {
  const providers = new Map<string, string[]>()
  for (const jail of jails) {
    for (const keyword of [jail.fields.name, ...jail.rcorder.provide]) {
      providers.set(keyword, [...(providers.get(keyword) ?? []), jail.fields.name])
    }
  }
  const after = new Map<string, Set<string>>(jails.map((j) => [j.fields.name, new Set<string>()]))
  for (const jail of jails) {
    const name = jail.fields.name
    for (const keyword of jail.rcorder.require) {
      for (const provider of providers.get(keyword) ?? []) if (provider !== name) after.get(name)?.add(provider)
    }
    for (const keyword of jail.rcorder.before) {
      for (const provider of providers.get(keyword) ?? []) if (provider !== name) after.get(provider)?.add(name)
    }
  }
  return new Map([...after].map(([name, set]) => [name, [...set].sort()]))
}
