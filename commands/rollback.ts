// tsez rollback: a stopped jail's dataset back to one of its snapshots.
import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'

import {TsezCommand, dryRunFlag} from '../src/cli/base-command.js'
import type {RollbackResult} from '../src/snapshot/service.js'

export default class Rollback extends TsezCommand {
  static override summary = "Roll a jail's dataset back to a snapshot."
  static override description = `Runs zfs rollback on the jail's own dataset: everything written since SNAP is lost. The jail must be stopped; --force stops it (jail -r), rolls back and starts it again (jail -c), the start attempted even when the rollback failed. Snapshots taken after SNAP are destroyed by the rollback: tsez refuses unless --destroy-later, naming them, and never destroys one that has clones. See docs/zfs.md.`
  static override examples = [
    {description: 'Back to a named snapshot', command: '<%= config.bin %> <%= command.id %> web1 before-upgrade'},
    {
      description: 'Running, and dropping the later snapshots',
      command: '<%= config.bin %> <%= command.id %> --force --destroy-later web1 before-upgrade',
    },
  ]
  static override args = {
    name: Args.string({description: 'The jail (name or hostname).', required: true}),
    snap: Args.string({description: 'The snapshot (the part after @, as tsez snapshots lists it).', required: true}),
  }
  static override flags = {
    force: Flags.boolean({description: 'Stop a running jail first and start it again after.'}),
    'destroy-later': Flags.boolean({description: 'Destroy the snapshots taken after SNAP (zfs rollback -r).'}),
    'dry-run': dryRunFlag,
  }

  async run(): Promise<RollbackResult> {
    const {args, flags} = await this.parse(Rollback)
    const {config, deps} = await this.setup(flags)
    const {rollbackJail} = await import('../src/snapshot/service.js')
    const result = await rollbackJail(
      config,
      {
        name: args.name,
        snapshot: args.snap,
        force: flags.force === true,
        destroyLater: flags['destroy-later'] === true,
        dryRun: flags['dry-run'] === true,
        lockWaitMs: this.lockWaitMs(),
      },
      deps,
    )
    if (result.dryRun) for (const line of result.plan) this.log(line)
    else {
      this.log(`rolled ${result.name} back to ${result.snapshot}`)
      for (const destroyed of result.destroyed) this.log(`destroyed ${destroyed}`)
      if (result.restarted) this.log(`restarted ${result.name}`)
    }
    return result
  }
}
