// VNET jails: the request checked, the epair unit and MAC chosen, and the jail.conf parameters that make the epair.
import {createHash} from 'node:crypto'

import {quote} from '../errors.js'
import {formatJailAddress, parseIpList, parseJailAddress, type JailAddress} from './ip.js'

/*
 * A VNET jail gets its own network stack and one epair(4): the host side epairNa joins BRIDGE (created when
 * missing), the jail side epairNb is handed to the jail by jail(8)'s vnet.interface and configured by the
 * jail's own rc (vnet-rc.ts). N is a unit tsez allocates per jail and records, so two jails never share one
 * and the names (at most "epair32767b", 11 characters) stay under IFNAMSIZ whatever the jail's name.
 *
 * jail.conf runs the commands; tsez is not needed to start the jail. jail(8) does not run exec.poststop when
 * a creation fails (usr.sbin/jail/command.c walks the start commands back), so the exec.prestart command
 * that creates the epair destroys it itself when a later step of it fails, and `tsez start` destroys it when
 * jail(8) fails after exec.prestart. Every word in the commands comes from a checked set (interface names,
 * a MAC, unit numbers): nothing needs shell quoting, and no `$` reaches jail.conf's variable substitution.
 */

export interface VnetSettings {
  /** epair(4) unit: epairNa on the host, epairNb in the jail. */
  epair: number
  bridge: string
  /** The jail side's MAC: locally administered unicast. */
  mac: string
  /** Jail-side addresses, `address/prefix`; empty with dhcp. */
  addresses: string[]
  dhcp: boolean
  gateway4?: string
  gateway6?: string
}

export interface VnetRequest {
  bridge: string
  mac: string | undefined
  gateways: string[]
  ipList: string
}

/** if_clone's unit limit (IF_MAXUNIT). */
export const MAX_EPAIR_UNIT = 0x7fff
/** An interface name (IFNAMSIZ 16 with its NUL): a renamed bridge is fine; only bridgeN can be created. */
const BRIDGE = /^[A-Za-z][A-Za-z0-9_.]{0,14}$/
const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/

export function hostSide(vnet: Pick<VnetSettings, 'epair'>): string {
  return `epair${vnet.epair}a`
}

export function jailSide(vnet: Pick<VnetSettings, 'epair'>): string {
  return `epair${vnet.epair}b`
}

/** The MAC a jail gets unless given: from its name, stable across restarts, locally administered unicast. */
export function derivedMac(name: string): string {
  const bytes = createHash('sha256').update(`tsez vnet ${name}`).digest().subarray(0, 5)
  return ['02', ...[...bytes].map((b) => b.toString(16).padStart(2, '0'))].join(':')
}

/** The lowest epair unit no recorded jail has and the host does not use (HOST: its interface names). */
export function allocateEpair(taken: number[], host: string[]): number | undefined {
  const used = new Set(taken)
  for (const name of host) {
    const match = /^epair([0-9]+)[ab]$/.exec(name)
    if (match) used.add(Number(match[1]))
  }
  for (let unit = 0; unit <= MAX_EPAIR_UNIT; unit++) if (!used.has(unit)) return unit
  return undefined
}

/** Checks a vnet request for jail NAME; the settings (with EPAIR) or every problem, one line each. */
export function parseVnetRequest(name: string, request: VnetRequest, epair: number): VnetSettings | string[] {
  const problems: string[] = []
  if (!BRIDGE.test(request.bridge)) {
    problems.push(
      `bridge ${quote(request.bridge)} is not an interface name (a letter, then letters, digits, "_" or "."; 15 characters at most)`,
    )
  }
  const mac = request.mac === undefined || request.mac === 'auto' ? derivedMac(name) : request.mac.toLowerCase()
  if (!MAC.test(mac)) problems.push(`MAC ${quote(request.mac ?? '')} is not six hex bytes separated by ":"`)
  else if (parseInt(mac.slice(0, 2), 16) & 1) problems.push(`MAC ${mac} is a multicast address; a jail needs unicast`)
  else if (/^(00:){5}00$/.test(mac)) problems.push('MAC 00:00:00:00:00:00 is not an interface address')

  const dhcp = request.ipList === 'dhcp'
  const addresses: JailAddress[] = []
  if (!dhcp) {
    const parsed = parseIpList(request.ipList)
    problems.push(...parsed.problems)
    for (const address of parsed.addresses) {
      const text = formatJailAddress(address)
      if (address.iface !== undefined) {
        problems.push(`${quote(text)}: a vnet jail's addresses are its own, on ${jailSide({epair})}; drop the "iface|"`)
      } else if (address.prefix === undefined) {
        problems.push(`${quote(text)}: give the prefix length of the jail's network (as ${address.address}/24)`)
      } else addresses.push(address)
    }
  } else if (request.gateways.length > 0) {
    problems.push('--gateway with dhcp: the DHCP server gives the default route')
  }
  if (/(^|,)dhcp(,|$)/i.test(request.ipList) && !dhcp) {
    problems.push(`${quote(request.ipList)}: dhcp is the whole address list, not mixed with addresses`)
  }
  const gateways: Partial<Record<4 | 6, string>> = {}
  for (const text of request.gateways) {
    const gateway = parseJailAddress(text)
    if (typeof gateway === 'string' || gateway.iface !== undefined || gateway.prefix !== undefined) {
      problems.push(`gateway ${quote(text)} is not a plain IPv4 or IPv6 address`)
      continue
    }
    if (gateways[gateway.family] !== undefined) problems.push(`more than one IPv${gateway.family} --gateway`)
    gateways[gateway.family] = gateway.address
    const local = addresses.filter((a) => a.family === gateway.family)
    if (!dhcp && !local.some((a) => sameNetwork(a, gateway.address))) {
      problems.push(
        `gateway ${gateway.address} is not in the network of any of the jail's IPv${gateway.family} addresses`,
      )
    }
  }
  if (problems.length > 0) return problems
  return {
    epair,
    bridge: request.bridge,
    mac,
    addresses: addresses.map(formatJailAddress),
    dhcp,
    ...(gateways[4] === undefined ? {} : {gateway4: gateways[4]}),
    ...(gateways[6] === undefined ? {} : {gateway6: gateways[6]}),
  }
}

/** Whether GATEWAY lies in ADDRESS's network (and is not ADDRESS itself). */
function sameNetwork(address: JailAddress, gateway: string): boolean {
  if (gateway === address.address) return false
  const bits = (text: string) => (address.family === 4 ? v4Bits(text) : v6Bits(text))
  const prefix = address.prefix ?? (address.family === 4 ? 32 : 128)
  return bits(address.address).slice(0, prefix) === bits(gateway).slice(0, prefix)
}

function v4Bits(text: string): string {
  return text
    .split('.')
    .map((octet) => Number(octet).toString(2).padStart(8, '0'))
    .join('')
}

function v6Bits(text: string): string {
  const [head = '', tail] = text.split('::')
  const groups = (part: string) => (part === '' ? [] : part.split(':'))
  const expand = (list: string[]) => list.flatMap((g) => (g.includes('.') ? v4Groups(g) : [g]))
  const left = expand(groups(head))
  const right = tail === undefined ? [] : expand(groups(tail))
  const all = [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right]
  return all.map((g) => parseInt(g, 16).toString(2).padStart(16, '0')).join('')
}

function v4Groups(dotted: string): string[] {
  const [a = 0, b = 0, c = 0, d = 0] = dotted.split('.').map(Number)
  return [((a << 8) | b).toString(16), ((c << 8) | d).toString(16)]
}

/**
 * The jail.conf commands: exec.prestart makes and bridges the epair, exec.poststop destroys it. An epair of the
 * jail's unit whose jail side still has the jail's MAC is the jail's own, left by a creation jail(8) failed after
 * exec.prestart (no exec.poststop then): prestart destroys it first, so `service jail start` recovers without tsez.
 * Another tool's epair of that unit is left alone (and the creation fails on it, saying File exists).
 */
export function vnetCommands(vnet: VnetSettings): {prestart: string[]; poststop: string[]} {
  const [host, jail, bridge] = [hostSide(vnet), jailSide(vnet), vnet.bridge]
  return {
    prestart: [
      `ifconfig ${bridge} >/dev/null 2>&1 || { ifconfig ${bridge} create >/dev/null && ifconfig ${bridge} up; }`,
      `ifconfig ${jail} 2>/dev/null | grep -qw ${vnet.mac} && ifconfig ${host} destroy || true`,
      `ifconfig epair${vnet.epair} create >/dev/null && { ifconfig ${jail} ether ${vnet.mac} && ` +
        `ifconfig ${bridge} addm ${host} && ifconfig ${host} up || { ifconfig ${host} destroy; false; }; }`,
    ],
    poststop: [`ifconfig ${host} >/dev/null 2>&1 && ifconfig ${host} destroy || true`],
  }
}

/**
 * After a failed `jail -c`: destroys the jail's epair if it is still there and its jail side has the jail's MAC,
 * so an epair of that unit that another tool made (the reason the creation failed, say) is left alone.
 */
export function epairCleanupArgv(vnet: VnetSettings): string[] {
  const script = `ifconfig ${jailSide(vnet)} 2>/dev/null | grep -q 'ether ${vnet.mac}$' && ifconfig ${hostSide(vnet)} destroy`
  return ['/bin/sh', '-c', `${script} || true`]
}

/** The jail(8) parameters of a vnet jail, merged with its own --param exec.prestart / exec.poststop. */
export function vnetParams(
  vnet: VnetSettings,
  params: Record<string, string | number | boolean | string[]>,
): Record<string, string | number | boolean | string[]> {
  const commands = vnetCommands(vnet)
  const own = (name: string): string[] => {
    const value = params[name]
    return value === undefined ? [] : Array.isArray(value) ? value : [String(value)]
  }
  return {
    ...params,
    vnet: 'new',
    'vnet.interface': jailSide(vnet),
    'exec.prestart': [...commands.prestart, ...own('exec.prestart')],
    'exec.poststop': [...own('exec.poststop'), ...commands.poststop],
  }
}
