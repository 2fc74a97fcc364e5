// tsez doctor's checks of the optional features: ZFS (the parent dataset), rctl limits (RACCT) and VNET (modules, bridges).
import type {CheckResult} from './checks.js'
import type {DoctorFacts} from './facts.js'

const LOADER = 'add kern.racct.enable=1 to /boot/loader.conf and reboot'

/** tsez_use_zfs=YES: every jail lives under tsez_zfs_parent, which must exist. */
export function checkZfs(facts: Pick<DoctorFacts, 'zfs'>): CheckResult {
  const {zfs} = facts
  if (zfs === undefined)
    return {id: 'zfs', status: 'skip', what: 'ZFS: tsez_use_zfs is NO; jails are plain directories'}
  if (zfs.parentExists) return {id: 'zfs', status: 'ok', what: `the ZFS parent dataset ${zfs.parent} exists`}
  return {
    id: 'zfs',
    status: 'fail',
    what: `tsez_use_zfs is YES but the parent dataset ${zfs.parent || '(tsez_zfs_parent is empty)'} does not exist`,
    fix: zfs.parent === '' ? 'set tsez_zfs_parent in tsez.conf, e.g. zroot/tsez' : `zfs create -p ${zfs.parent}`,
  }
}

/** A jail with limits does not start without RACCT; without such a jail a disabled RACCT only warns. */
export function checkRacct(facts: Pick<DoctorFacts, 'racct' | 'jails'>): CheckResult {
  const limited = facts.jails.filter((jail) => jail.limits > 0).map((jail) => jail.name)
  if (facts.racct === 1) return {id: 'racct', status: 'ok', what: 'kern.racct.enable is 1'}
  const state = facts.racct === undefined ? 'the kernel has no RACCT' : 'kern.racct.enable is 0'
  if (limited.length > 0) {
    const what = `${state}: ${limited.join(', ')} ${limited.length === 1 ? 'has' : 'have'} limits and will not start`
    return {id: 'racct', status: 'fail', what, fix: LOADER}
  }
  const what =
    facts.racct === undefined ? `${state}: jail limits are unavailable` : `${state}: tsez limits would need it`
  return {id: 'racct', status: 'warn', what, fix: LOADER}
}

/** VNET jails need epair(4) and if_bridge(4); the bridge their host side joins is made at start when missing. */
export function checkVnet(facts: Pick<DoctorFacts, 'jails' | 'vnetModules' | 'interfaces'>): CheckResult {
  const vnet = facts.jails.filter((jail) => jail.vnet)
  if (vnet.length === 0) return {id: 'vnet', status: 'skip', what: 'VNET: no jail has its own network stack'}
  const missing = Object.entries(facts.vnetModules ?? {}).flatMap(([name, loaded]) => (loaded ? [] : [name]))
  if (missing.length > 0) {
    return {
      id: 'vnet',
      status: 'fail',
      what: `${missing.join(' and ')} ${missing.length === 1 ? 'is' : 'are'} not loaded: VNET jails cannot get an epair`,
      fix: `kldload ${missing.join(' ')}; sysrc kld_list+="${missing.join(' ')}" to load at boot`,
    }
  }
  const bridges = [...new Set(vnet.flatMap((jail) => (jail.bridge === undefined ? [] : [jail.bridge])))].sort()
  const absent = facts.interfaces === undefined ? [] : bridges.filter((bridge) => !facts.interfaces?.has(bridge))
  if (absent.length > 0) {
    return {
      id: 'vnet',
      status: 'warn',
      what: `bridge ${absent.join(', ')} does not exist: a VNET jail's start creates it, without an uplink`,
      fix: `create it with the host's uplink in rc.conf: sysrc cloned_interfaces+="${absent[0]}" ifconfig_${absent[0]}="addm em0 up" (em0: your uplink)`,
    }
  }
  return {id: 'vnet', status: 'ok', what: `if_epair and if_bridge are loaded; bridge ${bridges.join(', ')} exists`}
}
