// Test support: an installed test host turned into one installed on ZFS (tsez_use_zfs, a parent dataset, and the
// fake pool holding the basejail and newjail datasets where tsez install on ZFS puts them).
import {appendFile} from 'node:fs/promises'

import {loadConfig} from '../../src/config.js'
import type {InstalledHost} from './installed-host.js'

export const ZFS_PARENT = 'zroot/tsez'

export async function useZfs(host: InstalledHost, properties = ''): Promise<InstalledHost> {
  const lines = ['tsez_use_zfs="YES"', `tsez_zfs_parent="${ZFS_PARENT}"`]
  if (properties !== '') lines.push(`tsez_zfs_properties="${properties}"`)
  await appendFile(host.configFile, lines.join('\n') + '\n')
  const pool = ['zroot\t-', `${ZFS_PARENT}\t-`]
  pool.push(`${ZFS_PARENT}/basejail\t${host.dirs.basejail}`, `${ZFS_PARENT}/newjail\t${host.dirs.newjail}`)
  host.fake.set('zfs.datasets', pool.join('\n') + '\n')
  return {...host, config: await loadConfig({flag: host.configFile})}
}

/** The fake pool's file systems and snapshots, by name. */
export function poolNames(host: InstalledHost): string[] {
  const rows = [host.fake.read('zfs.datasets') ?? '', host.fake.read('zfs.snapshots') ?? '']
  return rows
    .join('')
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split('\t')[0] ?? '')
}

/** The zfs calls that change something (not list or get), as argv lines. */
export function zfsChanges(host: InstalledHost): string[] {
  return host.fake
    .calls('zfs')
    .filter(([, command]) => command !== 'list' && command !== 'get')
    .map((call) => call.slice(1).join(' '))
}
