// What tsez doctor observes of the host: plain data, gathered by observe.ts and judged by checks.ts.
import type {PkgbaseFacts} from './pkgbase-check.js'

export interface DirectoryFacts {
  path: string
  /** undefined when the directory does not exist. */
  stat: {uid: number; gid: number; mode: number; isDirectory: boolean} | undefined
}

export interface JailFacts {
  name: string
  run: boolean
  /** The jail has its own network stack: its addresses live inside it, not on the host. */
  vnet: boolean
  /** jail(8) address forms: [iface|]addr[/prefix]. */
  addresses: string[]
  /** How many rctl rules it has (`tsez limits`). */
  limits: number
  /** The bridge a VNET jail's host side joins. */
  bridge?: string
}

/** What the host's rc.conf files and /etc/jail.conf say about starting jails at boot. */
export interface BootFacts {
  tsezEnable: boolean
  jailEnable: boolean
  /** jail_list's words; empty means rc.d/jail starts every jail /etc/jail.conf defines. */
  jailList: string[]
  /** Jails /etc/jail.conf defines by name. */
  jailConfNames: string[]
  /** Files /etc/jail.conf pulls in with .include (patterns as written). */
  jailConfIncludes: string[]
  /** What jail(8) would refuse in /etc/jail.conf (then names and includes are empty). */
  jailConfProblem?: string
}

export type LeftoverKind =
  'interrupted create' | 'interrupted config' | 'interrupted archive' | 'install staging' | 'atomic temp'

export interface LeftoverFacts {
  kind: LeftoverKind
  path: string
}

export type LockFacts =
  {state: 'free'} | {state: 'held'; by: string} | {state: 'stale'; pid: number | undefined; command: string | undefined}

export interface DoctorFacts {
  /** The uid tsez runs as: the jail directory may be its (as tsez.conf may), else it must be root's. */
  uid: number
  jaildir: DirectoryFacts
  /** USERLAND_VERSION of BASEJAIL/bin/freebsd-version, undefined when not installed. */
  basejailUserland: string | undefined
  basejail: string
  /** `uname -r`, undefined when it could not be run. */
  kernel: string | undefined
  /** `sysctl -n kern.securelevel`, undefined when unreadable. */
  securelevel: number | undefined
  /** listed: `lsvfs nullfs` knows it; module: /boot/kernel/nullfs.ko, loaded by the first mount. */
  nullfs: 'listed' | 'module' | 'missing'
  /** `sysctl -n kern.racct.enable`, undefined when the kernel has no RACCT. */
  racct: number | undefined
  /** tsez_use_zfs=YES: the parent dataset and whether `zfs list` finds it; undefined with tsez_use_zfs=NO. */
  zfs?: {parent: string; parentExists: boolean}
  /** A basejail installed from pkgbase (src/doctor/pkgbase-check.ts); undefined for distribution sets. */
  pkgbase?: PkgbaseFacts
  /** `kldstat -q -m` of if_epair and if_bridge, read only when a jail is VNET. */
  vnetModules?: {if_epair: boolean; if_bridge: boolean}
  jails: JailFacts[]
  /** Interface name → its addresses (`ifconfig -a`), undefined when ifconfig could not be run. */
  interfaces: Map<string, string[]> | undefined
  boot: BootFacts
  jailconfDir: string
  /** Bytes free under the jail directory (statfs f_bavail × f_bsize), undefined when it cannot be measured. */
  freeBytes: number | undefined
  leftovers: LeftoverFacts[]
  lock: LockFacts
}
