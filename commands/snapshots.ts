// tsez snapshots: a jail's ZFS snapshots, oldest first.
import * as Args from '@oclif/core/args'

import {TsezCommand} from '../src/cli/base-command.js'
import type {SnapshotsResult} from '../src/snapshot/service.js'

export default class Snapshots extends TsezCommand {
  static override summary = "List the ZFS snapshots of a jail's dataset."
  static override description = `One line per snapshot of the jail's own dataset, oldest first: its name, when it was taken (UTC) and the space only it holds (zfs used). --json gives the same as {jail, dataset, snapshots: [{name, full, created, used}]} with used in bytes. See docs/zfs.md.`
  static override examples = [{description: 'web1 snapshots', command: '<%= config.bin %> <%= command.id %> web1'}]
  static override args = {name: Args.string({description: 'The jail (name or hostname).', required: true})}

  async run(): Promise<SnapshotsResult> {
    const {args, flags} = await this.parse(Snapshots)
    const {config, deps} = await this.setup(flags)
    const {listSnapshotsOf} = await import('../src/snapshot/service.js')
    const result = await listSnapshotsOf(config, {name: args.name, dryRun: false, lockWaitMs: this.lockWaitMs()}, deps)
    if (result.snapshots.length === 0) this.log(`jail ${result.name} (${result.dataset}) has no snapshots`)
    else {
      const width = Math.max(4, ...result.snapshots.map((s) => s.name.length))
      this.log(`${'NAME'.padEnd(width)}  CREATED               USED`)
      for (const s of result.snapshots) this.log(`${s.name.padEnd(width)}  ${s.created.slice(0, 19)}Z  ${size(s.used)}`)
    }
    return result
  }
}

function size(bytes: number): string {
  const units = ['B', 'K', 'M', 'G', 'T']
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return `${unit === 0 ? value : value.toFixed(1)}${units[unit]}`
}
