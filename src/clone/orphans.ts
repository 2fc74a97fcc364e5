// The snapshots ZFS clones are made from, destroyed once no clone is left on them (deleted, or a clone killed early).
import type {TsezConfig} from '../config.js'
import type {CommandRunner} from '../system/runner.js'
import {destroy} from '../system/zfs.js'
import {CLONE_SNAPSHOT_PREFIX} from './plan.js'

/** Destroys every PARENT/*@tsez-clone-* snapshot without clones (hold the host lock); one line per snapshot. */
export async function sweepOrphanCloneSnapshots(config: TsezConfig, run: CommandRunner): Promise<string[]> {
  if (!config.useZfs) return []
  const args = ['list', '-H', '-t', 'snapshot', '-d', '2', '-o', 'name,clones', config.zfsParent]
  const result = await run.tryRun('zfs', args)
  if (result.exitCode !== 0) return []
  const lines: string[] = []
  for (const row of result.stdout.split('\n')) {
    const [name = '', clones = ''] = row.split('\t')
    const part = name.slice(name.indexOf('@') + 1)
    if (!name.includes('@') || !part.startsWith(CLONE_SNAPSHOT_PREFIX) || (clones !== '-' && clones !== '')) continue
    await destroy(run, name)
    lines.push(`destroyed ${name}: no clone is made from it any more`)
  }
  return lines
}
