// jail.conf(5) for one jail: the file tsez writes to tsez_jailconf_dir/NAME.conf, so `service jail start NAME` works.
import {quote as quoteForMessage} from '../errors.js'
import {formatJailAddress, type JailAddress} from './ip.js'
import {ownershipMark} from './ownership.js'
import {JAIL_PARAMS, validateParam} from './params.js'
import type {JailConfHook} from './resource-hooks.js'

export interface JailConfSpec {
  /** The jail name (jailNameFor of NAME): letters, digits and `_`. */
  name: string
  /** Absolute host path of the jail root. */
  path: string
  hostname: string
  addresses: JailAddress[]
  /** Absolute host path of the jail's fstab (the basejail nullfs mount). */
  fstab: string
  devfsRuleset: number
  execStart: string
  execStop: string
  /** Absolute host path that collects the output of exec.start / exec.stop. */
  consoleLog: string
  /** Extra jail(8) parameters from `tsez config --param`, by plain name; they override tsez's defaults. */
  params: Record<string, string | number | boolean | string[]>
  /**
   * false for an adopted thick jail: only path, host.hostname, its addresses, mount.fstab (when fstabUsed) and
   * its own params are written, so it runs with exactly the parameters it had.
   */
  tsezDefaults?: boolean
  fstabUsed?: boolean
  /** Commands appended (`+=`) after the params: the cpuset and rctl limits (resource-hooks.ts). */
  hooks?: JailConfHook[]
}

/*
 * What the file holds, in this order: path, host.hostname, ip4.addr (or `ip4 = disable` when the jail has
 * no IPv4 address), ip6.addr (or `ip6 = disable`), mount.fstab, mount.devfs, devfs_ruleset, exec.start,
 * exec.stop, exec.clean, exec.consolelog, enforce_statfs = 2, then the --param
 * parameters. A --param of the same name replaces a default in place (enforce_statfs, exec.clean, ip4…).
 * Never osrelease/osreldate: a baked release goes stale when the basejail is updated.
 *
 * `ip4 = disable` is written rather than left out so the file says what the jail gets; for a new jail it
 * is what the kernel would do anyway. With `vnet = new` neither is written (the jail has its own stack).
 *
 * Every string is double-quoted with `\` → `\\`, `"` → `\"` and `$` → `\$`. jail(8)'s lexer (jaillex.l)
 * copies the character after a backslash literally and only substitutes an unescaped `$`, so `\$` keeps
 * a dollar sign out of variable substitution. Control characters (newlines included) are refused, not
 * escaped: every value here is one line, and a newline in a path or command is always a mistake.
 */

const JAIL_NAME = /^[A-Za-z0-9_]+$/
const CONTROL = /\p{Cc}/u
/** What resource-hooks.ts writes: words of checked characters, the last possibly `|| true`; never other shell syntax. */
const HOOK_COMMAND = /^[\w:=/,.-]+( [\w:=/,.-]+)*( \|\| true)?$/

/** Every reason SPEC cannot be written as a working jail.conf, one line each; empty when it can. */
export function jailConfProblems(spec: JailConfSpec): string[] {
  const problems: string[] = []
  if (!JAIL_NAME.test(spec.name) || /^[0-9]+$/.test(spec.name)) {
    problems.push(`jail name ${quoteForMessage(spec.name)} must be letters, digits and "_", and not all digits`)
  }
  const texts = {'host.hostname': spec.hostname, 'exec.start': spec.execStart, 'exec.stop': spec.execStop}
  for (const [param, value] of Object.entries(texts)) {
    if (CONTROL.test(value)) problems.push(`${param} ${quoteForMessage(value)} contains a control character`)
  }
  if (spec.hostname === '') problems.push('host.hostname is empty')
  const paths = {path: spec.path, 'mount.fstab': spec.fstab, 'exec.consolelog': spec.consoleLog}
  for (const [param, value] of Object.entries(paths)) {
    if (!value.startsWith('/') || CONTROL.test(value)) {
      problems.push(`${param} ${quoteForMessage(value)} must be an absolute host path on one line`)
    }
  }
  if (!Number.isInteger(spec.devfsRuleset) || spec.devfsRuleset < 0 || spec.devfsRuleset > 65535) {
    problems.push(`devfs_ruleset ${spec.devfsRuleset} is not an integer from 0 to 65535`)
  }
  for (const [name, value] of Object.entries(spec.params)) problems.push(...paramProblems(name, value))
  for (const hook of spec.hooks ?? []) {
    if (!HOOK_COMMAND.test(hook.command))
      problems.push(`${hook.param} ${quoteForMessage(hook.command)} is not a plain command (a record edited by hand?)`)
  }
  problems.push(...addressConflicts(spec))
  return problems
}

function paramProblems(name: string, value: JailConfSpec['params'][string]): string[] {
  if (Array.isArray(value) && JAIL_PARAMS.get(name)?.list !== true) {
    return [`jail parameter ${name} takes one value, not a list`]
  }
  const problems: string[] = []
  for (const one of Array.isArray(value) ? value : [value]) {
    const checked = validateParam(name, String(one))
    if ('problem' in checked) problems.push(checked.problem)
    else if (checked.name !== name) problems.push(`write jail parameter ${name} as ${checked.name}`)
  }
  return problems
}

function addressConflicts(spec: JailConfSpec): string[] {
  const problems: string[] = []
  const vnet = spec.params['vnet'] === 'new'
  for (const family of [4, 6] as const) {
    const has = spec.addresses.some((a) => a.family === family)
    const mode = spec.params[`ip${family}`]
    if (has && vnet) problems.push(`a vnet jail configures its own IPv${family} addresses; drop them or vnet`)
    else if (has && (mode === 'inherit' || mode === 'disable')) {
      problems.push(`ip${family} = ${mode} contradicts the jail's IPv${family} addresses`)
    }
  }
  return problems
}

/** The jail.conf(5) text for SPEC; throws when jailConfProblems finds anything (callers check first). */
export function renderJailConf(spec: JailConfSpec): string {
  const problems = jailConfProblems(spec)
  if (problems.length > 0) throw new Error(`cannot write jail.conf for ${spec.name}: ${problems.join('; ')}`)

  const statements = new Map<string, string>()
  const set = (name: string, value: string | number | boolean | string[]) => {
    statements.set(name, value === true ? name : `${name} = ${renderValue(name, value)}`)
  }
  const defaults = spec.tsezDefaults !== false
  set('path', spec.path)
  set('host.hostname', spec.hostname)
  for (const family of [4, 6] as const) {
    const addresses = spec.addresses.filter((a) => a.family === family).map(formatJailAddress)
    if (addresses.length > 0) set(`ip${family}.addr`, addresses)
    else if (defaults && spec.params['vnet'] !== 'new') set(`ip${family}`, 'disable')
  }
  if (defaults || spec.fstabUsed === true) set('mount.fstab', spec.fstab)
  if (defaults) {
    set('mount.devfs', true)
    set('devfs_ruleset', spec.devfsRuleset)
    set('exec.start', spec.execStart)
    set('exec.stop', spec.execStop)
    set('exec.clean', true)
    set('exec.consolelog', spec.consoleLog)
    set('enforce_statfs', 2)
  }
  for (const [name, value] of Object.entries(spec.params)) set(name, value)

  const appended = (spec.hooks ?? []).map((hook) => `${hook.param} += ${quote(hook.command)}`)
  const body = [...statements.values(), ...appended].map((statement) => `\t${statement};\n`).join('')
  const header = `${ownershipMark(spec.name)}: \`tsez config ${spec.name}\` rewrites this file.`
  return `${header}\n${spec.name} {\n${body}}\n`
}

/** Keywords (`disable`, `new`…) and numbers bare, every other string double-quoted. */
function renderValue(name: string, value: string | number | boolean | string[]): string {
  if (Array.isArray(value)) return value.map(quote).join(', ')
  const keyword = JAIL_PARAMS.get(name)?.type.kind === 'choice'
  return typeof value === 'string' && !keyword ? quote(value) : String(value)
}

/** A jail.conf double-quoted string: `\`, `"` and `$` escaped (values are checked to be one line). */
function quote(value: string): string {
  return `"${value.replace(/[\\"$]/g, (c) => `\\${c}`)}"`
}
