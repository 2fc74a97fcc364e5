// Pure planning of `tsez limits`: the jail's new rctl rules from RESOURCE=AMOUNT[/per][:action] and --unset, every problem at once.
import {quote} from '../errors.js'
import {checkResourceName, mergeLimits, parseLimit, recordRulesArgv, ruleText, type LimitRule} from '../jail/limits.js'
import type {JailRecord} from '../jail/store.js'

export interface LimitsRequest {
  name: string
  /** RESOURCE=AMOUNT[/per][:action] strings, in order. */
  rules: string[]
  /** Resources whose rules (every action) go. */
  unset: string[]
}

export interface LimitsObservation {
  record: JailRecord
  running: boolean
  /** hw.ncpu: pcpu may reach 100 per CPU. */
  ncpu: number
  /** kern.racct.enable, undefined when the kernel has no RACCT. */
  racct: number | undefined
}

export interface LimitsPlan {
  before: JailRecord
  after: JailRecord
  /** rctl argvs for the running jail (its rules removed, the new ones added); empty when it is stopped. */
  rctl: string[][]
}

export const RACCT_HINT =
  'kern.racct.enable is not 1: add kern.racct.enable=1 to /boot/loader.conf and reboot (rctl(8) needs it)'

export function planLimits(request: LimitsRequest, seen: LimitsObservation): LimitsPlan | string[] {
  const {record} = seen
  const problems: string[] = []
  let limits: LimitRule[] = [...(record.limits ?? [])]
  const unset = new Set<string>()
  for (const resource of request.unset) {
    const problem = checkResourceName(resource)
    if (problem !== undefined) problems.push(problem)
    else if (!limits.some((rule) => rule.resource === resource))
      problems.push(`--unset ${quote(resource)}: ${record.name} has no ${resource} limit`)
    else unset.add(resource)
  }
  limits = limits.filter((rule) => !unset.has(rule.resource))
  const given = new Set<string>()
  for (const text of request.rules) {
    const rule = parseLimit(text, seen.ncpu)
    if ('problem' in rule) {
      problems.push(rule.problem)
      continue
    }
    const key = `${rule.resource}:${rule.action}`
    if (given.has(key)) problems.push(`limit ${quote(text)}: ${key} is given twice`)
    else if (unset.has(rule.resource)) problems.push(`limit ${quote(text)}: ${rule.resource} is also given to --unset`)
    given.add(key)
    limits = mergeLimits(limits, rule)
  }
  if (seen.running && seen.racct !== 1 && limits.length > 0) {
    problems.push(`${record.name} runs, and its limits cannot be applied: ${RACCT_HINT}`)
  }
  if (problems.length > 0) return problems
  const after: JailRecord = {...record, limits}
  if (limits.length === 0) delete after.limits
  return {before: record, after, rctl: seen.running ? recordRulesArgv(record.name, after.limits) : []}
}

/** The rules of RECORD as rctl shows them after `jail:NAME:`. */
export function limitTexts(record: JailRecord): string[] {
  return (record.limits ?? []).map(ruleText)
}
