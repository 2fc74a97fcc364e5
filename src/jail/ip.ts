// Jail IP lists: strict parsing of `[iface|]addr[/prefix],…` and rendering each address as jail(8) takes it.
import {quote} from '../errors.js'

/*
 * IPLIST rules (each problem message names the element and the rule it breaks):
 *  - A comma-separated list of at least one element, without whitespace anywhere and without empty
 *    elements (so no leading, trailing or doubled commas).
 *  - Element: `[iface|]address[/prefix]`. jail(8) adds the address as an alias on `iface` when the jail
 *    starts and removes it when the jail stops; without `iface` the address must already be configured.
 *  - iface: 1 to 15 characters (IFNAMSIZ is 16), a letter first, then letters, digits, `_`, `.` and `-`
 *    (em0, lo1, vtnet0, bridge0, igb0.100, a renamed `lan0`). No empty `iface|`.
 *  - IPv4: a dotted quad of four decimal octets 0-255 without leading zeros (`010.0.0.1` is refused: some
 *    parsers read it as octal). Prefix `/0`-`/32` without leading zeros, or a contiguous dotted netmask
 *    (`/255.255.255.0`, stored as `/24`). Not 0.0.0.0 or 255.255.255.255 (the kernel refuses them), not
 *    multicast (224.0.0.0/4).
 *  - IPv6: the RFC 4291 text forms: eight groups of 1-4 hex digits, one `::` for a run of zero groups, an
 *    embedded dotted quad at the end (`::ffff:192.0.2.1`). No zone id (`%em0`): give the interface as
 *    `iface|` instead. No brackets. Prefix `/0`-`/128`. Not `::` (the kernel refuses it), not multicast
 *    (ff00::/8). Stored in the canonical RFC 5952 form (lowercase, longest zero run as `::`).
 *  - No address twice, whatever its interface or prefix: the kernel refuses duplicates.
 *  A prefix without an interface is kept (jail(8) ignores it when it adds no alias).
 */

export interface JailAddress {
  family: 4 | 6
  iface?: string
  /** IPv4 dotted quad, or IPv6 in RFC 5952 canonical form. */
  address: string
  prefix?: number
}

const IFACE = /^[A-Za-z][A-Za-z0-9_.-]{0,14}$/
const DECIMAL = /^(0|[1-9][0-9]*)$/

/** Parses IPLIST; `addresses` holds every element that parsed, `problems` one line per bad element. */
export function parseIpList(text: string): {addresses: JailAddress[]; problems: string[]} {
  if (text === '') return {addresses: [], problems: ['IP list is empty; give at least one address']}
  if (/\s/.test(text)) {
    return {
      addresses: [],
      problems: [`IP list ${quote(text)} contains whitespace; separate addresses with ","`],
    }
  }
  const addresses: JailAddress[] = []
  const problems: string[] = []
  text.split(',').forEach((element, index) => {
    if (element === '') {
      problems.push(`IP list ${quote(text)} has an empty element at position ${index + 1} (a stray ",")`)
      return
    }
    const parsed = parseJailAddress(element)
    if (typeof parsed === 'string') {
      problems.push(parsed)
      return
    }
    const twin = addresses.find((a) => a.family === parsed.family && a.address === parsed.address)
    if (twin) {
      problems.push(`${quote(element)}: address ${parsed.address} appears twice in the IP list`)
      return
    }
    addresses.push(parsed)
  })
  return {addresses, problems}
}

/** Parses one `[iface|]addr[/prefix]` element; a string is the problem with it. */
export function parseJailAddress(element: string): JailAddress | string {
  const what = quote(element)
  const bar = element.indexOf('|')
  const iface = bar === -1 ? undefined : element.slice(0, bar)
  const rest = bar === -1 ? element : element.slice(bar + 1)
  if (iface !== undefined) {
    if (iface === '') return `${what}: the interface before "|" is empty`
    if (!IFACE.test(iface)) {
      return `${what}: ${quote(iface)} is not an interface name (a letter, then letters, digits, "_", "." or "-"; 15 characters at most)`
    }
  }
  if (rest === '') return `${what}: no address after "|"`
  if (rest.includes('|')) return `${what}: more than one "|"`
  const slash = rest.indexOf('/')
  const address = slash === -1 ? rest : rest.slice(0, slash)
  const prefixText = slash === -1 ? undefined : rest.slice(slash + 1)
  if (address.includes('%')) {
    return `${what}: zone ids ("%…") are not allowed; put the interface first, as "iface|address"`
  }
  if (address.includes(':')) return parseV6(what, address, prefixText, iface)
  if (/^[0-9.]+$/.test(address)) return parseV4(what, address, prefixText, iface)
  return `${what}: ${quote(address)} is neither an IPv4 nor an IPv6 address`
}

/** The element as jail(8) takes it in ip4.addr / ip6.addr: `iface|address/prefix`, parts omitted when unset. */
export function formatJailAddress(a: JailAddress): string {
  return `${a.iface === undefined ? '' : `${a.iface}|`}${a.address}${a.prefix === undefined ? '' : `/${a.prefix}`}`
}

function parseV4(what: string, text: string, prefixText: string | undefined, iface?: string): JailAddress | string {
  const octets = ipv4Octets(text)
  if (typeof octets === 'string') return `${what}: ${octets}`
  const value = octets.reduce((n, o) => n * 256 + o, 0)
  if (value === 0) return `${what}: 0.0.0.0 (unspecified) cannot be a jail's address`
  if (value === 0xffffffff) return `${what}: 255.255.255.255 (broadcast) cannot be a jail's address`
  if ((octets[0] ?? 0) >= 224 && (octets[0] ?? 0) <= 239) return `${what}: ${text} is a multicast address`
  const address: JailAddress = {family: 4, address: octets.join('.')}
  if (iface !== undefined) address.iface = iface
  if (prefixText === undefined) return address
  const prefix = prefixText.includes('.') ? netmaskPrefix(prefixText) : decimalIn(prefixText, 32)
  if (prefix === undefined) {
    return `${what}: ${quote(`/${prefixText}`)} is neither a prefix length 0-32 (no leading zeros) nor a contiguous netmask`
  }
  address.prefix = prefix
  return address
}

/** The four octets of a dotted quad, or why it is not one. */
function ipv4Octets(text: string): number[] | string {
  const parts = text.split('.')
  if (parts.length !== 4) return `${quote(text)} is not a dotted quad (it has ${parts.length} parts, not 4)`
  const octets: number[] = []
  for (const part of parts) {
    if (part === '') return `${quote(text)} has an empty octet`
    if (!DECIMAL.test(part)) return `octet ${quote(part)} of ${text} has a leading zero`
    const n = Number(part)
    if (n > 255) return `octet ${part} of ${text} is out of range 0-255`
    octets.push(n)
  }
  return octets
}

function netmaskPrefix(text: string): number | undefined {
  const octets = ipv4Octets(text)
  if (typeof octets === 'string') return undefined
  const bits = octets.map((o) => o.toString(2).padStart(8, '0')).join('')
  if (!/^1*0*$/.test(bits)) return undefined
  return bits.includes('0') ? bits.indexOf('0') : 32
}

function decimalIn(text: string, max: number): number | undefined {
  if (!DECIMAL.test(text) || text.length > 3) return undefined
  const n = Number(text)
  return n <= max ? n : undefined
}

function parseV6(what: string, text: string, prefixText: string | undefined, iface?: string): JailAddress | string {
  if (text.startsWith('[') || text.endsWith(']')) return `${what}: write the IPv6 address without brackets`
  const groups = ipv6Groups(text)
  if (typeof groups === 'string') return `${what}: ${groups}`
  if (groups.every((g) => g === 0)) return `${what}: :: (unspecified) cannot be a jail's address`
  if (groups[0] !== undefined && groups[0] >= 0xff00) return `${what}: ${text} is a multicast address`
  const address: JailAddress = {family: 6, address: formatIpv6(groups)}
  if (iface !== undefined) address.iface = iface
  if (prefixText === undefined) return address
  const prefix = decimalIn(prefixText, 128)
  if (prefix === undefined) return `${what}: ${quote(`/${prefixText}`)} is not a prefix length 0-128 (no leading zeros)`
  address.prefix = prefix
  return address
}

/** The eight 16-bit groups of an RFC 4291 address text, or why it is not one. */
function ipv6Groups(text: string): number[] | string {
  const quoted = quote(text)
  const halves = text.split('::')
  if (halves.length > 2) return `${quoted} has more than one "::"`
  const head = halves[0] === '' ? [] : (halves[0] ?? '').split(':')
  const tail = halves.length === 1 || halves[1] === '' ? [] : (halves[1] ?? '').split(':')
  const pieces = [...head, ...tail]
  const groups: number[][] = []
  for (const [i, piece] of pieces.entries()) {
    if (piece === '') return `${quoted} has an empty group (a stray ":")`
    if (piece.includes('.')) {
      if (i !== pieces.length - 1) return `${quoted} has an embedded IPv4 address that is not at the end`
      const octets = ipv4Octets(piece)
      if (typeof octets === 'string') return `${quoted}: embedded ${octets}`
      groups.push([((octets[0] ?? 0) << 8) | (octets[1] ?? 0), ((octets[2] ?? 0) << 8) | (octets[3] ?? 0)])
    } else if (/^[0-9A-Fa-f]{1,4}$/.test(piece)) {
      groups.push([parseInt(piece, 16)])
    } else {
      return `${quoted}: group ${quote(piece)} is not 1 to 4 hexadecimal digits`
    }
  }
  const headCount = groups.slice(0, head.length).flat().length
  const flat = groups.flat()
  if (halves.length === 1) {
    return flat.length === 8 ? flat : `${quoted} has ${flat.length} groups, not 8 (use "::" for a run of zeros)`
  }
  if (flat.length > 7) return `${quoted} has too many groups for "::" to stand for any`
  return [...flat.slice(0, headCount), ...new Array<number>(8 - flat.length).fill(0), ...flat.slice(headCount)]
}

/** RFC 5952 text: lowercase, no leading zeros, the longest run (two or more) of zero groups as `::`. */
function formatIpv6(groups: number[]): string {
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    const [hi = 0, lo = 0] = groups.slice(6)
    return `::ffff:${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`
  }
  let best = {start: -1, length: 0}
  for (let start = 0; start < 8;) {
    let end = start
    while (end < 8 && groups[end] === 0) end++
    if (end - start > best.length) best = {start, length: end - start}
    start = end === start ? start + 1 : end
  }
  const hex = groups.map((g) => g.toString(16))
  if (best.length < 2) return hex.join(':')
  return `${hex.slice(0, best.start).join(':')}::${hex.slice(best.start + best.length).join(':')}`
}
