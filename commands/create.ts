// tsez create: a thin jail from the newjail template, flavoured, configured for jail(8), committed atomically.
import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'

import {TsezCommand, dryRunFlag, type WithJailObjects} from '../src/cli/base-command.js'
import type {CreateResult} from '../src/create/service.js'

export default class Create extends TsezCommand {
  static override summary = 'Create a thin jail on the shared basejail.'
  static override description = `Copies the newjail template to the jail's root (default tsez_jaildir/NAME, with NAME's jail name), lays the flavours over it in order, and writes tsez_jailconf_dir/NAME.conf, tsez_fstab_dir/fstab.NAME (the basejail mounted read-only with nullfs) and the jail's record. \`jail -f tsez_jailconf_dir/NAME.conf -c NAME\` is then all a host needs to start it. On any failure nothing of the jail is kept.

NAME may be a hostname: the jail name is NAME with every character other than letters, digits and "_" turned into "_".`
  static override examples = [
    {
      description: 'A web server jail with one IPv4 address on em0',
      command: "<%= config.bin %> <%= command.id %> -f webserver www.example.com 'em0|192.0.2.10/24'",
    },
    {
      description: 'IPv4 and IPv6, not started at boot',
      command: '<%= config.bin %> <%= command.id %> --norun db 10.0.0.6,fd00::6',
    },
    {
      description: 'A VNET jail on bridge0 with its own address and default router',
      command: '<%= config.bin %> <%= command.id %> --vnet --gateway 192.0.2.1 web 192.0.2.20/24',
    },
    {
      description: 'Configure an existing root only',
      command: '<%= config.bin %> <%= command.id %> -x -r /data/old old 10.0.0.7',
    },
  ]
  static override args = {
    name: Args.string({description: 'Jail name or hostname (www.example.com).', required: true}),
    iplist: Args.string({
      description:
        'Comma-separated [iface|]address[/prefix] list, IPv4 and/or IPv6 (with --vnet: address/prefix list, or dhcp).',
      required: true,
    }),
  }
  static override flags = {
    flavour: Flags.string({
      char: 'f',
      multiple: true,
      multipleNonGreedy: true,
      description: 'Flavour to apply (repeatable, in order; default tsez_default_flavour).',
    }),
    rootdir: Flags.string({char: 'r', description: 'Root directory (relative: under tsez_jaildir).'}),
    existing: Flags.boolean({char: 'x', description: 'The root exists already: write only the configuration.'}),
    norun: Flags.boolean({description: 'Do not start this jail with `tsez start` (no names) or at boot.'}),
    vnet: Flags.boolean({
      description:
        "Own network stack with an epair on a bridge; IPLIST is the jail's addresses (address/prefix) or dhcp.",
    }),
    bridge: Flags.string({
      description: 'With --vnet: the bridge the epair joins, created if missing (default tsez_bridge).',
    }),
    gateway: Flags.string({
      multiple: true,
      multipleNonGreedy: true,
      description: 'With --vnet: the default router, IPv4 and/or IPv6 (repeatable, one per family).',
    }),
    mac: Flags.string({description: "With --vnet: the jail side's MAC, or auto (default: stable, from the name)."}),
    quota: Flags.string({description: "ZFS only: the quota of the jail's dataset, in zfs(8)'s size syntax (10G)."}),
    'dry-run': dryRunFlag,
  }

  async run(): Promise<CreateResult | WithJailObjects<CreateResult, 'jail'>> {
    const {args, flags} = await this.parse(Create)
    const {config, deps} = await this.setup(flags)
    const {createJail} = await import('../src/create/service.js')
    const result = await createJail(
      config,
      {
        name: args.name,
        ipList: args.iplist,
        flavours: flags.flavour,
        rootdir: flags.rootdir,
        existingRoot: flags.existing === true,
        norun: flags.norun === true,
        vnet: flags.vnet === true,
        bridge: flags.bridge,
        mac: flags.mac,
        gateways: flags.gateway,
        quota: flags.quota,
        dryRun: flags['dry-run'] === true,
        lockWaitMs: this.lockWaitMs(),
      },
      deps,
    )
    if (result.dryRun) for (const line of result.plan) this.log(line)
    else {
      const {jail} = result
      this.log(`created jail ${jail.name} (${jail.hostname}) at ${jail.root}`)
      // tsez's own words first; the jail.conf works without tsez too.
      this.log(`start it with: tsez start ${jail.name}  (or jail -f ${result.files.conf} -c ${jail.name})`)
    }
    return this.withJailObjects(config, deps, result, 'jail')
  }
}
