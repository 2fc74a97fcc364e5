// tsez snapshot: a ZFS snapshot of a jail's own dataset.
import * as Args from '@oclif/core/args'

import {TsezCommand, dryRunFlag} from '../src/cli/base-command.js'
import type {SnapshotResult} from '../src/snapshot/service.js'

export default class Snapshot extends TsezCommand {
  static override summary = "Take a ZFS snapshot of a jail's dataset."
  static override description = `Runs zfs snapshot DATASET@SNAP on the jail's own dataset (tsez_use_zfs="YES"). SNAP defaults to tsez-YYYYMMDDTHHMMSSZ (UTC, now); it takes letters, digits, _ . : and - (not first). A running jail is snapshotted as it is on disk at that instant. See docs/zfs.md.`
  static override examples = [
    {description: 'A snapshot named after the time', command: '<%= config.bin %> <%= command.id %> web1'},
    {description: 'A named one', command: '<%= config.bin %> <%= command.id %> web1 before-upgrade'},
  ]
  static override args = {
    name: Args.string({description: 'The jail (name or hostname).', required: true}),
    snap: Args.string({description: 'Snapshot name (default tsez-YYYYMMDDTHHMMSSZ).'}),
  }
  static override flags = {'dry-run': dryRunFlag}

  async run(): Promise<SnapshotResult> {
    const {args, flags} = await this.parse(Snapshot)
    const {config, deps} = await this.setup(flags)
    const {snapshotJail} = await import('../src/snapshot/service.js')
    const result = await snapshotJail(
      config,
      {name: args.name, snapshot: args.snap, dryRun: flags['dry-run'] === true, lockWaitMs: this.lockWaitMs()},
      deps,
    )
    if (result.dryRun) for (const line of result.plan) this.log(line)
    else this.log(`snapshot ${result.snapshot}`)
    return result
  }
}
