// rctl(8) limits of a jail: the resources, units, actions and `per` rctl accepts, and `RESOURCE=AMOUNT[/per][:action]`.
import {quote} from '../errors.js'

/*
 * From rctl(8) and the kernel (sys/kern/kern_racct.c racct_types, kern_rctl.c rctl_rule_add):
 *  - deny works on the deniable resources, plus memoryuse and pcpu (enforced another way); never on cputime,
 *    wallclock or the I/O rates;
 *  - throttle only on the decaying resources other than pcpu: readbps, writebps, readiops, writeiops;
 *  - the "sloppy" resources (pseudoterminals, swapuse, the SysV ones) cannot be accounted per process;
 *  - pcpu is in percent of ONE CPU: 200 is two whole CPUs, so the ceiling is 100 x hw.ncpu (the kernel caps
 *    usage at 100 x MAXCPU).
 * rctl(8) expands k/m/g/t/p/e suffixes (powers of 1024) on every amount; tsez accepts them only where the amount
 * is bytes, so `maxproc=2k` is refused as a likely mistake rather than read as 2048. Amounts are whole numbers
 * from 1 up: a zero limit (no process, no memory) is never what anyone means.
 */

export type LimitUnit = 'bytes' | 'count' | 'seconds' | 'percent'

interface ResourceSpec {
  unit: LimitUnit
  deny: boolean
  throttle: boolean
  /** Accounted across processes only: a `/process` rule is refused by the kernel. */
  sloppy: boolean
}

const spec = (unit: LimitUnit, deny = true, more: Partial<ResourceSpec> = {}): ResourceSpec => ({
  unit,
  deny,
  throttle: false,
  sloppy: false,
  ...more,
})
const sloppy = (unit: LimitUnit): ResourceSpec => spec(unit, true, {sloppy: true})
const rate = (unit: LimitUnit): ResourceSpec => spec(unit, false, {throttle: true})

export const RESOURCES: ReadonlyMap<string, ResourceSpec> = new Map(
  Object.entries({
    cputime: spec('seconds', false),
    datasize: spec('bytes'),
    stacksize: spec('bytes'),
    coredumpsize: spec('bytes'),
    memoryuse: spec('bytes'),
    memorylocked: spec('bytes'),
    maxproc: spec('count'),
    openfiles: spec('count'),
    vmemoryuse: spec('bytes'),
    pseudoterminals: sloppy('count'),
    swapuse: sloppy('bytes'),
    nthr: spec('count'),
    msgqqueued: sloppy('count'),
    msgqsize: sloppy('bytes'),
    nmsgq: sloppy('count'),
    nsem: sloppy('count'),
    nsemop: spec('count'),
    nshm: sloppy('count'),
    shmsize: sloppy('bytes'),
    wallclock: spec('seconds', false),
    pcpu: spec('percent'),
    readbps: rate('bytes'),
    writebps: rate('bytes'),
    readiops: rate('count'),
    writeiops: rate('count'),
  }),
)

/** signal(3)'s names as rctl spells them (kern_rctl.c actionnames), lower case with the sig prefix. */
const SIGNALS = [
  'hup', 'int', 'quit', 'ill', 'trap', 'abrt', 'emt', 'fpe', 'kill', 'bus', 'segv', 'sys', 'pipe', 'alrm', 'term',
  'urg', 'stop', 'tstp', 'chld', 'ttin', 'ttou', 'io', 'xcpu', 'xfsz', 'vtalrm', 'prof', 'winch', 'info', 'usr1',
  'usr2', 'thr',
].map((name) => `sig${name}`) // prettier-ignore

export const ACTIONS: readonly string[] = ['deny', 'log', 'devctl', 'throttle', ...SIGNALS]
export const PERS: readonly string[] = ['process', 'user', 'loginclass', 'jail']

export interface LimitRule {
  resource: string
  action: string
  /** As rctl(8) reads it: digits, with a K/M/G/T/P/E suffix for bytes. */
  amount: string
  /** Whose usage is counted; absent means the jail's (rctl's default for a jail rule). */
  per?: string
}

const SUFFIX_POWER: Readonly<Record<string, number>> = {K: 1, M: 2, G: 3, T: 4, P: 5, E: 6}
/** rctl(8) and the kernel keep amounts in int64; the time and percent ones are stored in millionths. */
const INT64_MAX = 2n ** 63n - 1n

/** `memoryuse:deny=2G`, `maxproc:log=100/user`: the rule after rctl's `jail:NAME:`. */
export function ruleText(rule: LimitRule): string {
  return `${rule.resource}:${rule.action}=${rule.amount}${rule.per === undefined ? '' : `/${rule.per}`}`
}

/**
 * Parses one `RESOURCE=AMOUNT[/per][:action]` (action deny by default). NCPU (hw.ncpu) bounds pcpu.
 * Returns the rule or one line saying what is wrong with it.
 */
export function parseLimit(text: string, ncpu: number): LimitRule | {problem: string} {
  const bad = (why: string) => ({problem: `limit ${quote(text)}: ${why}`})
  const match = /^([a-z]+)=([^/:]*)(?:\/([^:]*))?(?::(.*))?$/.exec(text)
  if (match === null) return bad('write RESOURCE=AMOUNT[/per][:action], e.g. memoryuse=2G or pcpu=50:log')
  const [, resource = '', amountText = '', per, action = 'deny'] = match
  const resourceSpec = RESOURCES.get(resource)
  if (resourceSpec === undefined) return bad(`unknown resource ${quote(resource)}; ${resourceList()}`)
  const amount = parseAmount(amountText, resourceSpec.unit)
  if ('problem' in amount) return bad(amount.problem)
  if (resourceSpec.unit === 'percent' && amount.value > 100n * BigInt(ncpu)) {
    return bad(`pcpu is percent of one CPU: at most ${100 * ncpu} on this host (${ncpu} CPUs, 100 each)`)
  }
  if (!ACTIONS.includes(action)) {
    return bad(`unknown action ${quote(action)}; give deny, log, devctl, throttle or a signal (sigterm, …)`)
  }
  if (action === 'deny' && !resourceSpec.deny) {
    return bad(
      `rctl cannot deny ${resource}; use log, devctl or a signal${resourceSpec.throttle ? ', or throttle' : ''}`,
    )
  }
  if (action === 'throttle' && !resourceSpec.throttle) {
    return bad(`only readbps, writebps, readiops and writeiops can be throttled`)
  }
  if (per !== undefined && !PERS.includes(per)) {
    return bad(`unknown per ${quote(per)}; give ${PERS.join(', ')}`)
  }
  if (per === 'process' && resourceSpec.sloppy) return bad(`${resource} cannot be counted per process`)
  return {resource, action, amount: amount.text, ...(per === undefined || per === 'jail' ? {} : {per})}
}

function parseAmount(text: string, unit: LimitUnit): {text: string; value: bigint} | {problem: string} {
  const match = /^(0|[1-9][0-9]*)([kmgtpeKMGTPE]?)$/.exec(text)
  if (match === null) {
    const what = unit === 'bytes' ? 'a whole number, optionally with K, M, G, T, P or E' : 'a whole number'
    return {problem: `amount ${quote(text)} is not ${what}`}
  }
  const [, digits = '', suffixText = ''] = match
  const suffix = suffixText.toUpperCase()
  if (suffix !== '' && unit !== 'bytes') {
    return {
      problem: `amount ${quote(text)}: a unit suffix is for bytes only; ${unitName(unit)} are plain numbers`,
    }
  }
  const value = BigInt(digits) * 1024n ** BigInt(SUFFIX_POWER[suffix] ?? 0)
  if (value === 0n) return {problem: 'amount 0 would forbid the resource entirely; give 1 or more'}
  const scale = unit === 'bytes' || unit === 'count' ? 1n : 1000000n
  if (value * scale > INT64_MAX) return {problem: `amount ${quote(text)} is larger than rctl can hold`}
  return {text: `${digits}${suffix}`, value}
}

function unitName(unit: LimitUnit): string {
  return unit === 'percent' ? 'percentages' : unit === 'seconds' ? 'seconds' : 'counts'
}

function resourceList(): string {
  return `known: ${[...RESOURCES.keys()].join(', ')} (see rctl(8))`
}

/** RESOURCE for `--unset`, or a problem when rctl has no such resource. */
export function checkResourceName(name: string): string | undefined {
  return RESOURCES.has(name) ? undefined : `--unset ${quote(name)}: unknown resource; ${resourceList()}`
}

/** RULES with ADDED in place: a rule for the same resource and action is replaced (rctl keeps one such rule too). */
export function mergeLimits(rules: readonly LimitRule[], added: LimitRule): LimitRule[] {
  const same = (r: LimitRule) => r.resource === added.resource && r.action === added.action
  const at = rules.findIndex(same)
  if (at === -1) return [...rules, added]
  return rules.map((rule, i) => (i === at ? added : rule)).filter((rule, i) => i === at || !same(rule))
}

/** The rctl argv that adds RULE for jail NAME. */
export function rctlAddArgv(name: string, rule: LimitRule): string[] {
  return ['-a', `jail:${name}:${ruleText(rule)}`]
}

/** The rctl argv that removes every rule of jail NAME. */
export function rctlRemoveArgv(name: string): string[] {
  return ['-r', `jail:${name}`]
}

/** The rctl argvs that make the kernel hold exactly LIMITS for jail NAME: all its rules removed, LIMITS added. */
export function recordRulesArgv(name: string, limits: readonly LimitRule[] = []): string[][] {
  return [rctlRemoveArgv(name), ...limits.map((rule) => rctlAddArgv(name, rule))]
}
