// tsez doctor's checks: pure functions from observed host facts to ok / warn / fail / skip, each with its fix.
import {compareReleases, parseRelease} from '../dist/release.js'
import {parseJailAddress} from '../jail/ip.js'
import type {BootFacts, DoctorFacts, JailFacts} from './facts.js'
import {checkRacct, checkVnet, checkZfs} from './feature-checks.js'
import {count} from '../ui/count.js'
import {checkPkgbase} from './pkgbase-check.js'

export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip'

export interface CheckResult {
  id: string
  status: CheckStatus
  what: string
  /** How to fix it, for warn and fail. */
  fix?: string
}

/** Space under the jail directory below which doctor warns. */
export const LOW_SPACE_BYTES = 1024 ** 3

const ok = (id: string, what: string): CheckResult => ({id, status: 'ok', what})
const warn = (id: string, what: string, fix: string): CheckResult => ({id, status: 'warn', what, fix})
const fail = (id: string, what: string, fix: string): CheckResult => ({id, status: 'fail', what, fix})

/** Every check, in the order they are shown. */
export function runChecks(facts: DoctorFacts): CheckResult[] {
  return [
    checkJaildir(facts),
    checkBasejail(facts),
    checkPkgbase(facts),
    checkSecurelevel(facts),
    checkNullfs(facts),
    checkZfs(facts),
    checkRacct(facts),
    checkVnet(facts),
    checkAddresses(facts),
    checkBoot(facts),
    checkSpace(facts),
    checkLeftovers(facts),
    checkLock(facts),
  ]
}

/** The Handbook's rule: 0700, or 0750 with group wheel; never anything for others, never group write. */
export function jaildirModeIsSafe(mode: number, gid: number): boolean {
  const permissions = mode & 0o777
  return (permissions & 0o077) === 0 || ((permissions & 0o027) === 0 && gid === 0)
}

export function checkJaildir(facts: Pick<DoctorFacts, 'jaildir' | 'uid'>): CheckResult {
  const {path, stat} = facts.jaildir
  if (stat === undefined) return fail('jaildir', `${path} does not exist`, 'tsez install creates it')
  if (!stat.isDirectory) return fail('jaildir', `${path} is not a directory`, `move it aside, then tsez install`)
  const mode = (stat.mode & 0o7777).toString(8).padStart(4, '0')
  if (stat.uid !== 0 && stat.uid !== facts.uid) {
    return fail('jaildir', `${path} is owned by uid ${stat.uid}, not root`, `chown root:wheel ${path}`)
  }
  if (!jaildirModeIsSafe(stat.mode, stat.gid)) {
    const who = (stat.mode & 0o007) !== 0 ? 'other users' : `members of group ${stat.gid}`
    return fail('jaildir', `${path} is mode ${mode}: ${who} can reach jail roots`, `chmod 0700 ${path}`)
  }
  return ok('jaildir', `${path} is mode ${mode}, owned by uid ${stat.uid}`)
}

export function checkBasejail(facts: Pick<DoctorFacts, 'basejail' | 'basejailUserland' | 'kernel'>): CheckResult {
  const {basejail, basejailUserland: userland, kernel} = facts
  if (userland === undefined) return fail('basejail', `no basejail at ${basejail}`, 'tsez install')
  if (kernel === undefined) {
    return warn(
      'basejail',
      `basejail ${userland}; the host kernel's release is unknown (uname -r failed)`,
      'check uname -r',
    )
  }
  const [base, host] = [releaseOf(userland), releaseOf(kernel)]
  if (base === undefined || host === undefined) {
    return warn(
      'basejail',
      `basejail ${userland} under kernel ${kernel}: cannot compare them`,
      'check uname -r and tsez list',
    )
  }
  if (compareReleases(base, host) > 0) {
    return fail(
      'basejail',
      `basejail ${userland} is newer than the host kernel ${kernel}: jails may fail in ways hard to trace`,
      `upgrade the host to ${base.name} first, or tsez install -r ${host.name} --force`,
    )
  }
  return ok('basejail', `basejail ${userland} under kernel ${kernel}`)
}

function releaseOf(version: string) {
  try {
    return parseRelease(version)
  } catch {
    return undefined
  }
}

export function checkSecurelevel(facts: Pick<DoctorFacts, 'securelevel'>): CheckResult {
  const level = facts.securelevel
  if (level === undefined)
    return warn('securelevel', 'kern.securelevel cannot be read', 'check sysctl kern.securelevel')
  if (level > 0) {
    return warn(
      'securelevel',
      `kern.securelevel is ${level}: tsez update cannot patch the basejail`,
      'set kern_securelevel_enable="NO" in /etc/rc.conf and reboot before updating',
    )
  }
  return ok('securelevel', `kern.securelevel is ${level}`)
}

export function checkNullfs(facts: Pick<DoctorFacts, 'nullfs'>): CheckResult {
  if (facts.nullfs === 'listed') return ok('nullfs', 'nullfs is available')
  if (facts.nullfs === 'module') return ok('nullfs', 'nullfs is a module: the first basejail mount loads it')
  return fail(
    'nullfs',
    'nullfs is missing: no jail can mount the basejail',
    'kldload nullfs, or build the kernel with options NULLFS',
  )
}

export function checkAddresses(facts: Pick<DoctorFacts, 'jails' | 'interfaces'>): CheckResult {
  const started = facts.jails.filter((jail) => jail.run && !jail.vnet)
  if (started.length === 0) return ok('addresses', "no jail marked run uses the host's addresses")
  if (facts.interfaces === undefined) {
    return warn('addresses', "cannot read the host's interfaces (ifconfig -a failed)", 'check ifconfig -a')
  }
  const problems = started.flatMap((jail) => addressProblems(jail, facts.interfaces!))
  if (problems.length > 0) {
    return fail(
      'addresses',
      problems.join('; '),
      'add each address to an interface (ifconfig IF alias ADDR), or name one: tsez config NAME --ip IF|ADDR',
    )
  }
  return ok('addresses', `the addresses of ${count(started.length, 'jail')} marked run exist on the host`)
}

function addressProblems(jail: JailFacts, interfaces: Map<string, string[]>): string[] {
  const configured = new Set([...interfaces.values()].flat())
  return jail.addresses.flatMap((element) => {
    const parsed = parseJailAddress(element)
    if (typeof parsed === 'string') return [`${jail.name}: ${parsed}`]
    if (parsed.iface !== undefined) {
      return interfaces.has(parsed.iface) ? [] : [`${jail.name}: interface ${parsed.iface} does not exist`]
    }
    return configured.has(parsed.address) ? [] : [`${jail.name}: ${parsed.address} is on no interface`]
  })
}

/** The tsez jails rc.d/jail would start at boot (from jail_list, or every jail /etc/jail.conf defines). */
export function jailsStartedByRcJail(boot: BootFacts, names: string[], jailconfDir: string): string[] {
  if (!boot.jailEnable) return []
  if (boot.jailList.length > 0) return names.filter((name) => boot.jailList.includes(name))
  const included = boot.jailConfIncludes.map(globToRegExp)
  return names.filter(
    (name) =>
      boot.jailConfNames.includes(name) || included.some((pattern) => pattern.test(`${jailconfDir}/${name}.conf`)),
  )
}

function globToRegExp(glob: string): RegExp {
  const body = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '[^/]*')
    .replace(/\?/g, '[^/]')
  return new RegExp(`^${body}$`)
}

export function checkBoot(facts: Pick<DoctorFacts, 'boot' | 'jails' | 'jailconfDir'>): CheckResult {
  const marked = facts.jails.filter((jail) => jail.run).map((jail) => jail.name)
  const all = facts.jails.map((jail) => jail.name)
  const byRcJail = jailsStartedByRcJail(facts.boot, all, facts.jailconfDir)
  const twice = facts.boot.tsezEnable ? byRcJail.filter((name) => marked.includes(name)) : []
  if (twice.length > 0) {
    return fail(
      'boot',
      `rc.d/jail (jail_enable) and rc.d/tsez (tsez_enable) both start ${twice.join(', ')} at boot`,
      'leave them out of jail_list and /etc/jail.conf, or sysrc jail_enable=NO',
    )
  }
  if (facts.boot.jailEnable && facts.boot.jailConfProblem !== undefined) {
    return warn(
      'boot',
      `rc.d/jail cannot read ${facts.boot.jailConfProblem}`,
      'fix /etc/jail.conf, or sysrc jail_enable=NO',
    )
  }
  if (!facts.boot.tsezEnable && marked.length > 0) {
    const instead = byRcJail.length > 0 ? `; rc.d/jail starts ${byRcJail.join(', ')} without dependency order` : ''
    return warn(
      'boot',
      `tsez_enable is not YES: ${count(marked.length, 'jail')} marked run ${marked.length === 1 ? 'does' : 'do'} not start at boot${instead}`,
      'sysrc tsez_enable=YES (see docs/running.md, rc.d/tsez)',
    )
  }
  return ok('boot', facts.boot.tsezEnable ? "rc.d/tsez alone starts tsez's jails at boot" : 'no jail is marked run')
}

export function checkSpace(facts: Pick<DoctorFacts, 'freeBytes' | 'jaildir'>): CheckResult {
  const free = facts.freeBytes
  if (free === undefined) return warn('space', `cannot measure the free space under ${facts.jaildir.path}`, 'df -h')
  const shown = `${(free / 1024 ** 3).toFixed(1)} GiB free under ${facts.jaildir.path}`
  if (free < LOW_SPACE_BYTES) return warn('space', `only ${shown}`, 'free space or grow the file system (df -h)')
  return ok('space', shown)
}

export function checkLeftovers(facts: Pick<DoctorFacts, 'leftovers' | 'lock'>): CheckResult {
  if (facts.lock.state === 'held') {
    return {id: 'leftovers', status: 'skip', what: `${facts.lock.by} is at work: its files are not leftovers`}
  }
  if (facts.leftovers.length === 0) return ok('leftovers', 'no staging, journal or temporary file left behind')
  const listed = facts.leftovers.map((item) => `${item.kind} ${item.path}`).join(', ')
  return warn('leftovers', `interrupted work left ${listed}`, 'tsez doctor --fix removes them')
}

export function checkLock(facts: Pick<DoctorFacts, 'lock'>): CheckResult {
  const lock = facts.lock
  if (lock.state === 'free') return ok('lock', 'the host lock is free')
  if (lock.state === 'held') return ok('lock', `the host lock is held by ${lock.by}`)
  const holder =
    lock.pid === undefined ? 'an unreadable holder' : `tsez ${lock.command} (pid ${lock.pid}), which is dead`
  return warn('lock', `the host lock is held by ${holder}`, 'the next tsez command takes it over (tsez doctor --fix)')
}

/** Nothing failed: warnings and skips do not make doctor fail. */
export function allPassed(results: CheckResult[]): boolean {
  return results.every((result) => result.status !== 'fail')
}
