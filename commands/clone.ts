// tsez clone: a new jail from an existing one (stopped, or any on ZFS), its name, addresses and files its own.
import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'

import {TsezCommand, dryRunFlag, type WithJailObjects} from '../src/cli/base-command.js'
import type {CloneResult} from '../src/clone/service.js'

export default class Clone extends TsezCommand {
  static override summary = 'Create a jail as a copy of an existing one.'
  static override description = `Copies SRC's root (a stopped jail; on ZFS a running one too, from a fresh snapshot cloned with zfs clone) to tsez_jaildir/NEW and writes NEW's own jail.conf, fstab and record: its name, hostname (--hostname, default NEW) and addresses, never SRC's. Its flavours, parameters and run flag are SRC's; SRC's dependencies and own mounts are not carried, and pending first-start scripts are not run again. Name, addresses and root are checked as by tsez create; on any failure nothing of NEW is kept. See docs/jails.md.`
  static override examples = [
    {description: 'A second web server', command: '<%= config.bin %> <%= command.id %> web1 web2 10.0.0.6'},
    {
      description: 'With another hostname',
      command: "<%= config.bin %> <%= command.id %> --hostname www2.example.com web1 web2 'em0|192.0.2.11/24'",
    },
  ]
  static override args = {
    src: Args.string({description: 'The jail to copy (name or hostname).', required: true}),
    new: Args.string({description: 'Name (or hostname) of the new jail.', required: true}),
    iplist: Args.string({description: 'Its addresses: [iface|]address[/prefix],...', required: true}),
  }
  static override flags = {
    hostname: Flags.string({description: 'Hostname of the new jail (default NEW).'}),
    'dry-run': dryRunFlag,
  }

  async run(): Promise<CloneResult | WithJailObjects<CloneResult, 'jail'>> {
    const {args, flags} = await this.parse(Clone)
    const {config, deps} = await this.setup(flags)
    const {cloneJail} = await import('../src/clone/service.js')
    const result = await cloneJail(
      config,
      {
        source: args.src,
        name: args.new,
        ipList: args.iplist,
        hostname: flags.hostname,
        dryRun: flags['dry-run'] === true,
        lockWaitMs: this.lockWaitMs(),
      },
      deps,
    )
    if (result.dryRun) for (const line of result.plan) this.log(line)
    else {
      const {jail} = result
      this.log(`cloned ${result.source} to jail ${jail.name} (${jail.hostname}) at ${jail.root}`)
      this.log(`start it with: tsez start ${jail.name}`)
    }
    return this.withJailObjects(config, deps, result, 'jail')
  }
}
