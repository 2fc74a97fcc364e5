// The tsez.conf keys of the optional host features (ZFS, VNET bridge, trusted MANIFESTs, pkgbase), checked and typed.
import path from 'node:path'
import {quote, UsageError} from './errors.js'

/** Defaults of the feature keys, in the form config.ts's DEFAULTS table takes. */
export const FEATURE_DEFAULTS: ReadonlyArray<readonly [string, string]> = [
  ['tsez_use_zfs', 'NO'],
  ['tsez_zfs_parent', ''],
  ['tsez_zfs_properties', ''],
  ['tsez_bridge', 'bridge0'],
  ['tsez_manifests', '/usr/local/share/freebsd/MANIFESTS'],
  ['tsez_pkgbase_keys', ''],
  ['tsez_pkgbase_mirror', 'pkg+https://pkg.FreeBSD.org'],
]

export interface FeatureConfig {
  /** tsez_use_zfs: jails, basejail and newjail live in datasets under zfsParent. */
  useZfs: boolean
  /** tsez_zfs_parent: the dataset tsez's datasets are made under ('' unless ZFS is on). */
  zfsParent: string
  /** tsez_zfs_properties: `name=value` pairs passed as `zfs create -o` to every dataset tsez makes. */
  zfsProperties: string[]
  /** tsez_bridge: the if_bridge(4) interface VNET jails join unless create --bridge names another. */
  bridge: string
  /** tsez_manifests: the directory of trusted release MANIFESTs (misc/freebsd-release-manifests). */
  manifests: string
  /** tsez_pkgbase_keys: the directory holding pkgbase-MAJOR/ fingerprints; '' means the host's /usr/share/keys. */
  pkgbaseKeys: string
  /** tsez_pkgbase_mirror: the pkg(8) repository server pkgbase installs come from. */
  pkgbaseMirror: string
}

const YES = /^(yes|true|on|1)$/i
const NO = /^(no|false|off|0|)$/i
/** zfs(8) dataset names: components of [A-Za-z0-9_.:-], separated by single slashes, a pool first. */
const DATASET = /^[A-Za-z][A-Za-z0-9_.:-]*(\/[A-Za-z0-9_.:-]+)*$/
const PROPERTY = /^[a-z][a-z0-9_.:]*=[^\s=][^\s]*$/
/** Interface names: a letter first, then letters, digits, `_` or `.`; IFNAMSIZ leaves 15 characters. */
const INTERFACE = /^[A-Za-z][A-Za-z0-9_.]{0,14}$/

/** Checks and types the feature keys; GET returns a key's value or its default. */
export function resolveFeatures(get: (key: string) => string, where: string): FeatureConfig {
  const bad = (key: string, why: string): never => {
    throw new UsageError(`${where}: ${key} ${why}, got ${quote(get(key))}`)
  }
  const zfs = get('tsez_use_zfs')
  if (!YES.test(zfs) && !NO.test(zfs)) bad('tsez_use_zfs', 'must be YES or NO')
  const useZfs = YES.test(zfs)
  const zfsParent = get('tsez_zfs_parent')
  if (zfsParent !== '' && (!DATASET.test(zfsParent) || zfsParent.split('/').some((c) => c === '.' || c === '..')))
    bad('tsez_zfs_parent', 'must be a ZFS dataset name such as zroot/tsez')
  if (useZfs && zfsParent === '') bad('tsez_zfs_parent', 'must name a dataset when tsez_use_zfs is YES')
  const zfsProperties = get('tsez_zfs_properties').split(/\s+/).filter(Boolean)
  if (zfsProperties.some((p) => !PROPERTY.test(p)))
    bad('tsez_zfs_properties', 'must be space-separated name=value pairs such as "compression=lz4 atime=off"')
  const bridge = get('tsez_bridge')
  if (!INTERFACE.test(bridge)) bad('tsez_bridge', 'must be an interface name of at most 15 characters')
  for (const key of ['tsez_manifests', 'tsez_pkgbase_keys']) {
    const value = get(key)
    if (value === '' && key === 'tsez_pkgbase_keys') continue
    if (!path.isAbsolute(value) || value.includes('\n')) bad(key, 'must be an absolute path')
  }
  const pkgbaseMirror = get('tsez_pkgbase_mirror')
  if (!/^(pkg\+)?(https?|file):\/\/[^\s"'\\]+$/.test(pkgbaseMirror))
    bad('tsez_pkgbase_mirror', 'must be a pkg+https://, https:// or file:// URL')
  return {
    useZfs,
    zfsParent,
    zfsProperties,
    bridge,
    manifests: path.resolve(get('tsez_manifests')),
    pkgbaseKeys: get('tsez_pkgbase_keys') === '' ? '' : path.resolve(get('tsez_pkgbase_keys')),
    pkgbaseMirror: pkgbaseMirror.replace(/\/+$/, ''),
  }
}
