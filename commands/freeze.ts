// tsez freeze: a new flavour holding what a jail changed against the newjail, and what it removed.
import * as Args from '@oclif/core/args'

import {TsezCommand, dryRunFlag} from '../src/cli/base-command.js'
import type {FreezeResult} from '../src/freeze/service.js'

export default class Freeze extends TsezCommand {
  static override summary = 'Make a flavour of what a jail changed against the newjail.'
  static override description = `Compares the jail's root with the newjail and writes tsez_flavours/FLAVOUR: every file, directory and symlink the jail added or modified (contents, type, owner or mode), with owners, modes, mtimes and hard links, and FLAVOUR/tsez.remove listing what the jail removed, one path a line (tsez create -f FLAVOUR deletes those). Never the basejail mount point's contents, anything mounted under the root, nor pending first-start scripts. The flavour is built under a temporary name and renamed into place; an existing flavour is never overwritten. See docs/jails.md.`
  static override examples = [
    {description: 'Keep a configured web server as a flavour', command: '<%= config.bin %> <%= command.id %> web1 web'},
  ]
  static override args = {
    name: Args.string({description: 'The jail (name or hostname).', required: true}),
    flavour: Args.string({description: 'Name of the new flavour under tsez_flavours.', required: true}),
  }
  static override flags = {'dry-run': dryRunFlag}

  async run(): Promise<FreezeResult> {
    const {args, flags} = await this.parse(Freeze)
    const {config, deps} = await this.setup(flags)
    const {freezeJail} = await import('../src/freeze/service.js')
    const result = await freezeJail(
      config,
      {
        name: args.name,
        flavour: args.flavour,
        dryRun: flags['dry-run'] === true,
        lockWaitMs: this.lockWaitMs(),
      },
      deps,
    )
    if (result.dryRun) for (const line of result.plan) this.log(line)
    else {
      this.log(`froze ${result.name} into ${result.flavour}: ${result.entries} entries, ${result.removed} removals`)
      this.log(`use it with: tsez create -f ${args.flavour} NAME IPLIST`)
    }
    return result
  }
}
