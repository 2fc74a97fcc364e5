// jail(8) parameters: their names and types, and checking `tsez config --param NAME=VALUE` / `--unset NAME`.
import {quote} from '../errors.js'

/*
 * The table follows jail(8) (.Dd September 1, 2023, plus FreeBSD 14's meta/env/allow.adjtime/allow.settime and
 * FreeBSD 15's allow.routing, allow.setaudit, allow.unprivileged_parent_tampering and zfs.dataset): the kernel parameters, the ones kernel modules add,
 * and the pseudo-parameters only jail(8) uses. Values are checked the way jail(8) reads them:
 *  - booleans take true/false (also 1/0, yes/no, on/off, any case); a `no` prefix on the last name
 *    component negates, as in jail.conf (`allow.noraw_sockets=true` is `allow.raw_sockets=false`), and
 *    the result always carries the plain name so a jail never has both spellings;
 *  - integers are decimal, without leading zeros, within the range jail(8) documents;
 *  - choices (`new`, `inherit`, `disable`) are the values jail(8) lists for that parameter;
 *  - strings are one line (no control characters); exec.consolelog must be an absolute host path.
 * Parameters tsez sets itself, read-only ones, and osrelease/osreldate are refused with the reason.
 */

export type ParamValue = string | number | boolean

export type ParamType =
  | {kind: 'bool'}
  | {kind: 'int'; min: number; max: number}
  | {kind: 'choice'; values: readonly string[]}
  | {kind: 'string'; absolute?: boolean}

export interface ParamSpec {
  type: ParamType
  /** jail(8) accepts several values (a comma list in jail.conf), e.g. several exec.start commands. */
  list?: boolean
}

const bool: ParamSpec = {type: {kind: 'bool'}}
const text: ParamSpec = {type: {kind: 'string'}}
const commands: ParamSpec = {type: {kind: 'string'}, list: true}
const int = (min: number, max: number): ParamSpec => ({type: {kind: 'int', min, max}})
const choice = (...values: string[]): ParamSpec => ({type: {kind: 'choice', values}})
const NEW_INHERIT_DISABLE = choice('new', 'inherit', 'disable')
const NEW_INHERIT = choice('new', 'inherit')
const INT32_MAX = 2147483647

const ALLOW_FLAGS = [
  'set_hostname',
  'sysvipc',
  'raw_sockets',
  'chflags',
  'mount',
  'mount.devfs',
  'mount.fdescfs',
  'mount.fusefs',
  'mount.nullfs',
  'mount.procfs',
  'mount.linprocfs',
  'mount.linsysfs',
  'mount.tmpfs',
  'mount.zfs',
  'quotas',
  'read_msgbuf',
  'socket_af',
  'mlock',
  'nfsd',
  'reserved_ports',
  'unprivileged_proc_debug',
  'suser',
  'extattr',
  'vmm',
  'dying',
  // FreeBSD 14 and 15: clock adjustment and setting (14.0), routing table changes in a vnet jail (15.0).
  'adjtime',
  'settime',
  'routing',
  // FreeBSD 15: audit session state (setaudit(2)) in the jail, and unprivileged host processes of the same uid
  // signalling, debugging or cpuset(1)-ing the jail's (off by default since it became a knob).
  'setaudit',
  'unprivileged_parent_tampering',
]
const EXEC_COMMANDS = ['prepare', 'prestart', 'created', 'start', 'poststart', 'prestop', 'stop', 'poststop', 'release']

/** Every parameter `tsez config --param` may set, with its type. */
export const JAIL_PARAMS: ReadonlyMap<string, ParamSpec> = new Map(
  Object.entries({
    ...Object.fromEntries(ALLOW_FLAGS.map((flag) => [`allow.${flag}`, bool])),
    ...Object.fromEntries(EXEC_COMMANDS.map((phase) => [`exec.${phase}`, commands])),
    'ip4.saddrsel': bool,
    ip4: NEW_INHERIT_DISABLE,
    'ip6.saddrsel': bool,
    ip6: NEW_INHERIT_DISABLE,
    vnet: NEW_INHERIT,
    'host.domainname': text,
    'host.hostuuid': text,
    'host.hostid': int(0, Number.MAX_SAFE_INTEGER),
    host: NEW_INHERIT,
    securelevel: int(-1, 3),
    devfs_ruleset: int(0, 65535),
    'children.max': int(0, INT32_MAX),
    enforce_statfs: int(0, 2),
    persist: bool,
    linux: NEW_INHERIT,
    'linux.osname': text,
    'linux.osrelease': text,
    'linux.oss_version': int(0, INT32_MAX),
    sysvmsg: NEW_INHERIT_DISABLE,
    sysvsem: NEW_INHERIT_DISABLE,
    sysvshm: NEW_INHERIT_DISABLE,
    'exec.clean': bool,
    'exec.jail_user': text,
    'exec.system_jail_user': bool,
    'exec.system_user': text,
    'exec.timeout': int(0, INT32_MAX),
    'exec.consolelog': {type: {kind: 'string', absolute: true}},
    'exec.fib': int(0, 65535),
    'stop.timeout': int(0, INT32_MAX),
    interface: text,
    'vnet.interface': {type: {kind: 'string'}, list: true},
    ip_hostname: bool,
    mount: {type: {kind: 'string'}, list: true},
    'mount.devfs': bool,
    'mount.fdescfs': bool,
    'mount.procfs': bool,
    // FreeBSD 14: free-form metadata strings the jail's processes can (env) or cannot (meta) read.
    meta: text,
    env: text,
    // FreeBSD 15: ZFS datasets jail(8) attaches to the jail when it is created (`zfs jail`).
    'zfs.dataset': {type: {kind: 'string'}, list: true},
  }),
)

const STALE =
  'tsez never bakes it into a jail: a fixed value goes stale as soon as the basejail is updated ' +
  '(`uname -r` in the jail would keep reporting the old release, which confuses pkg and freebsd-version checks)'

/** Parameters --param may not touch, and why. */
const REFUSED: ReadonlyMap<string, string> = new Map(
  Object.entries({
    name: 'the jail name is NAME; use `tsez config NAME --rename NEW`',
    jid: 'the kernel assigns the jail ID',
    path: 'the jail root is fixed when the jail is created (`tsez create -r ROOTDIR`)',
    'host.hostname': 'use `tsez config NAME --hostname HOSTNAME`',
    'ip4.addr': 'use `tsez config NAME --ip IPLIST`',
    'ip6.addr': 'use `tsez config NAME --ip IPLIST`',
    'mount.fstab': "tsez points it at the jail's own fstab file; add mounts to that file instead",
    depend: 'use `tsez config NAME --depend JAIL`',
    command: 'it is for the jail(8) command line; use exec.start',
    'children.cur': 'it is read-only (the kernel reports it)',
    'cpuset.id': 'it is read-only (the kernel reports it); pin the jail to CPUs with `tsez config NAME --cpuset LIST`',
    dying: 'it is read-only (the kernel reports it)',
    parent: 'it is read-only (the kernel reports it)',
    osrelease: STALE,
    osreldate: STALE,
  }),
)

/**
 * Checks one `--param NAME=VALUE` (or, with `value` undefined, `--unset NAME`). On success `name` is the
 * parameter's plain name (a `no` prefix folded into the value) and `value` the typed value (absent for unset).
 */
export function validateParam(
  name: string,
  value: string | undefined,
): {name: string; value?: ParamValue} | {problem: string} {
  const refused = REFUSED.get(name) ?? REFUSED.get(plainName(name) ?? '')
  if (refused !== undefined) return {problem: `jail parameter ${quote(name)} cannot be changed here: ${refused}`}
  const negated = JAIL_PARAMS.has(name) ? undefined : plainName(name)
  const canonical = negated !== undefined && JAIL_PARAMS.get(negated)?.type.kind === 'bool' ? negated : name
  const spec = JAIL_PARAMS.get(canonical)
  if (spec === undefined) {
    return {
      problem: `unknown jail parameter ${quote(name)}; the nearest known one is ${quote(nearest(name))} (see jail(8))`,
    }
  }
  if (value === undefined) return {name: canonical}
  const parsed = parseValue(canonical, spec.type, value)
  if (typeof parsed === 'object') return parsed
  return {name: canonical, value: canonical !== name ? !parsed : parsed}
}

/** `allow.nomount` → `allow.mount`: the name without a `no` prefix on its last component, if it has one. */
function plainName(name: string): string | undefined {
  const dot = name.lastIndexOf('.') + 1
  return name.startsWith('no', dot) ? name.slice(0, dot) + name.slice(dot + 2) : undefined
}

function parseValue(name: string, type: ParamType, value: string): ParamValue | {problem: string} {
  const bad = (rule: string) => ({problem: `jail parameter ${name}: ${quote(value)} ${rule}`})
  switch (type.kind) {
    case 'bool': {
      if (/^(true|yes|on|1)$/i.test(value)) return true
      if (/^(false|no|off|0)$/i.test(value)) return false
      return bad('is not a boolean; give true or false (or 1/0, yes/no, on/off)')
    }
    case 'int': {
      const range = `an integer from ${type.min} to ${type.max}`
      if (!/^-?(0|[1-9][0-9]*)$/.test(value)) return bad(`is not ${range} (decimal, no leading zeros)`)
      const n = Number(value)
      return n >= type.min && n <= type.max ? n : bad(`is out of range: give ${range}`)
    }
    case 'choice':
      return type.values.includes(value) ? value : bad(`is not one of ${type.values.join(', ')}`)
    case 'string':
      if (/\p{Cc}/u.test(value)) return bad('contains a control character; values must be one line')
      if (type.absolute === true && !value.startsWith('/')) return bad('is not an absolute path')
      return value
  }
}

/** The known parameter name closest to NAME by edit distance. */
function nearest(name: string): string {
  const known = [...JAIL_PARAMS.keys(), ...REFUSED.keys()]
  let best = {name: known[0] ?? '', distance: Infinity}
  for (const candidate of known) {
    const distance = editDistance(name, candidate)
    if (distance < best.distance) best = {name: candidate, distance}
  }
  return best.name
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({length: b.length + 1}, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      const substitute = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1)
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitute))
    }
    previous = current
  }
  return previous[b.length] ?? 0
}
