// `tsez config` for VNET: --vnet / --no-vnet and a VNET jail's --ip, --bridge, --gateway, --mac, planned purely.
import type {TsezConfig} from '../config.js'
import type {Ownership} from '../jail/ownership.js'
import type {JailRecord} from '../jail/store.js'
import {parseVnetRequest} from '../jail/vnet.js'
import {RC_FILES, vnetRcFiles, type RcFile} from '../jail/vnet-rc.js'

export interface VnetConfigRequest {
  /** --vnet (true) or --no-vnet (false). */
  vnet?: boolean
  ipList?: string
  bridge?: string
  mac?: string
  gateways?: string[]
}

export interface VnetConfigObservation {
  /** The epair unit a jail turned VNET gets (allocateEpair), undefined when every unit is taken. */
  epair?: number
  /** Who owns the jail's rc.conf.d files now (observed when the request touches VNET). */
  rcFiles?: Record<RcFile, Ownership>
}

/** Whether REQUEST changes anything VNET (so the rc.conf.d files are observed and rewritten). */
export function touchesVnet(request: VnetConfigRequest, record: JailRecord): boolean {
  const settings = [request.vnet, request.bridge, request.mac, request.gateways?.length ? request.gateways : undefined]
  return settings.some((v) => v !== undefined) || (record.vnet !== undefined && request.ipList !== undefined)
}

/**
 * Applies the VNET part of REQUEST to AFTER (a copy of the record): every problem, and the rc.conf.d files to
 * write (undefined: nothing VNET changes). --no-vnet needs --ip (the host-stack addresses); --vnet on a jail
 * without it keeps its addresses when they have no `iface|`; a VNET jail keeps its epair unit.
 */
export function vnetChange(
  config: TsezConfig,
  request: VnetConfigRequest,
  seen: VnetConfigObservation,
  after: JailRecord,
): {problems: string[]; rcFiles?: Record<RcFile, string | undefined>} {
  const before = after.vnet
  if (!touchesVnet(request, after)) return {problems: []}
  const foreign = RC_FILES.filter((file) => seen.rcFiles?.[file] === 'foreign')
  const ownership =
    foreign.length === 0
      ? []
      : [
          `the jail's /etc/rc.conf.d/{${foreign.join(',')}} ${foreign.length > 1 ? 'are' : 'is'} not tsez's: move it away first`,
        ]
  const extras = [
    ...(request.bridge === undefined ? [] : ['--bridge']),
    ...(request.mac === undefined ? [] : ['--mac']),
    ...((request.gateways ?? []).length > 0 ? ['--gateway'] : []),
  ]
  if (request.vnet === false) {
    if (before === undefined) return {problems: [`jail ${after.name} is not a VNET jail`]}
    if (extras.length > 0) return {problems: [`${extras.join(', ')} with --no-vnet: they are VNET settings`]}
    if (request.ipList === undefined) {
      return {problems: ["--no-vnet needs --ip: the jail's addresses on the host's stack ([iface|]address[/prefix])"]}
    }
    delete after.vnet
    return {problems: ownership, rcFiles: {netif: undefined, routing: undefined, dhclient: undefined}}
  }
  if (before === undefined && request.vnet !== true) {
    return {problems: [`${extras.join(', ')} only for a VNET jail: add --vnet`]}
  }
  const epair = before?.epair ?? seen.epair
  if (epair === undefined) return {problems: ['every epair unit is taken; no VNET jail can be added']}
  const ipList = request.ipList ?? (before === undefined ? after.addresses.join(',') : vnetIpList(before))
  if (ipList === '') return {problems: ['--vnet needs --ip: the jail has no addresses to keep']}
  // --gateway none drops the default routes; without --gateway the jail keeps its own.
  const kept = [before?.gateway4, before?.gateway6].filter((g): g is string => g !== undefined)
  const given = request.gateways ?? []
  const gateways = given.length === 0 ? (ipList === 'dhcp' ? [] : kept) : given.join() === 'none' ? [] : given
  const parsed = parseVnetRequest(
    after.name,
    {bridge: request.bridge ?? before?.bridge ?? config.bridge, mac: request.mac ?? before?.mac, gateways, ipList},
    epair,
  )
  if (Array.isArray(parsed)) return {problems: parsed}
  after.vnet = parsed
  after.addresses = []
  return {problems: ownership, rcFiles: vnetRcFiles(after.name, parsed)}
}

function vnetIpList(vnet: NonNullable<JailRecord['vnet']>): string {
  return vnet.dhcp ? 'dhcp' : vnet.addresses.join(',')
}
