// Classic jail.conf(5) jails as tsez records: thick jails (their own userland, no basejail) with the same parameters.
import {quote} from '../errors.js'
import type {TsezConfig} from '../config.js'
import type {ParsedJail} from '../jail/conf-parse.js'
import {jailFilesProblem} from '../jail/files.js'
import {fstabFieldProblem, type FstabEntry} from '../jail/fstab.js'
import {formatJailAddress, parseJailAddress} from '../jail/ip.js'
import {JAIL_PARAMS, validateParam} from '../jail/params.js'
import type {JailRecord} from '../jail/store.js'

/** The parameters that become record fields rather than params; every other one must be a known jail(8) parameter. */
const FIELDS = new Set(['path', 'host.hostname', 'ip4.addr', 'ip6.addr', 'mount.fstab', 'depend'])
const JAIL_NAME = /^[A-Za-z0-9_]+$/

export interface ClassicJail {
  parsed: ParsedJail
  /** The text of the file its mount.fstab names, when it names one (undefined: none, or missing). */
  fstab: {path: string; text: string} | undefined
}

export type AdoptedClassicJail = {ok: true; record: JailRecord} | {ok: false; name: string; reason: string}

/** The tsez record for one jail of FILE; NOW and the userland fill the record's bookkeeping. */
export function adoptClassicJail(
  config: TsezConfig,
  jail: ClassicJail,
  context: {file: string; now: Date},
): AdoptedClassicJail {
  const {parsed} = jail
  const where = `${parsed.file}:${parsed.line}`
  const refuse = (reason: string): AdoptedClassicJail => ({ok: false, name: parsed.name, reason: `${where}: ${reason}`})
  if (!JAIL_NAME.test(parsed.name) || /^[0-9]+$/.test(parsed.name)) {
    return refuse(`jail name ${quote(parsed.name)} is not one tsez can manage (letters, digits and "_")`)
  }
  const one = (name: string): string | undefined => {
    const value = parsed.params.get(name)
    return value === undefined || value === true ? undefined : value.at(-1)
  }
  const reasons: string[] = []
  const root = one('path') ?? ''
  if (!root.startsWith('/') || root === '/' || root.split('/').includes('..')) {
    reasons.push(`path ${quote(root)} is not an absolute jail root`)
  }
  const addresses: string[] = []
  for (const family of ['ip4.addr', 'ip6.addr']) {
    const values = parsed.params.get(family)
    for (const text of values === true || values === undefined ? [] : values) {
      const address = parseJailAddress(text)
      if (typeof address === 'string') reasons.push(`${family}: ${address}`)
      else addresses.push(formatJailAddress(address))
    }
  }
  const params: JailRecord['params'] = {}
  for (const [name, values] of parsed.params) {
    if (FIELDS.has(name)) continue
    const list = JAIL_PARAMS.get(name)?.list === true
    const texts = values === true ? ['true'] : values
    const typed: Array<string | number | boolean> = []
    let canonical = name
    for (const text of texts) {
      const checked = validateParam(name, text)
      if ('problem' in checked) reasons.push(checked.problem)
      else if (checked.value !== undefined) {
        typed.push(checked.value)
        canonical = checked.name // allow.noraw_sockets is allow.raw_sockets = false
      }
    }
    if (typed.length === 0) continue
    params[canonical] = list && typed.length > 1 ? typed.map(String) : (typed.at(-1) as string | number | boolean)
  }
  const depend = parsed.params.get('depend')
  const mounts = readFstab(jail, reasons)
  if (reasons.length > 0) return refuse(reasons.join('; '))
  const record: JailRecord = {
    version: 1,
    name: parsed.name,
    hostname: one('host.hostname') ?? parsed.name,
    root,
    addresses,
    flavours: [],
    run: true,
    depend: depend === true || depend === undefined ? [] : depend.flatMap((d) => d.split(/[ ,]+/)).filter(Boolean),
    params,
    release: '',
    created: context.now.toISOString(),
    thick: true,
    ...(mounts.length > 0 ? {mounts} : {}),
    origin: {from: 'jail-conf', file: context.file, importedAt: context.now.toISOString()},
  }
  const problem = jailFilesProblem(config, record)
  return problem === undefined ? {ok: true, record} : refuse(problem)
}

/** mount.fstab's lines, each checked as jail(8) reads it (cut at `#`, split on blanks). */
function readFstab(jail: ClassicJail, reasons: string[]): FstabEntry[] {
  const named = jail.parsed.params.get('mount.fstab')
  if (named === undefined || named === true) return []
  if (jail.fstab === undefined) {
    reasons.push(`mount.fstab ${quote(named.at(-1) ?? '')} cannot be read`)
    return []
  }
  const entries: FstabEntry[] = []
  jail.fstab.text.split('\n').forEach((line, index) => {
    const fields = (line.split('#')[0] ?? '')
      .trim()
      .split(/[ \t]+/)
      .filter(Boolean)
    if (fields.length === 0) return
    const [device = '', mountPoint = '', type = '', options = '', dump = '0', pass = '0'] = fields
    const problem =
      fields.length < 4 || fields.length > 6 || !/^[0-9]+$/.test(dump) || !/^[0-9]+$/.test(pass)
        ? 'not an fstab line'
        : [fstabFieldProblem(device), fstabFieldProblem(type), fstabFieldProblem(options)].find(Boolean)
    if (problem !== undefined) reasons.push(`${jail.fstab?.path}:${index + 1}: ${problem}`)
    else entries.push({device, mountPoint, type, options, dump: Number(dump), pass: Number(pass)})
  })
  return entries
}
