// tsez config: change a stopped jail's settings (run/norun, name, addresses, hostname, dependencies, jail(8) parameters).
import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'

import {TsezCommand, dryRunFlag, type WithJailObjects} from '../src/cli/base-command.js'
import type {ConfigResult} from '../src/jailconfig/service.js'

export default class Config extends TsezCommand {
  static override summary = "Change a jail's settings and rewrite its jail.conf."
  static override description = `Rewrites the jail's record (the commit) and re-renders tsez_jailconf_dir/NAME.conf from it; a kill between the two is finished by the next tsez config, create, delete, start, stop or restart. Refuses while the jail runs (exit 2): stop it first.

--rename moves the root too when it is the default tsez_jaildir/NAME, and rewrites the fstab and the depend lists of other jails.

--cpuset binds every process of the jail to those CPUs (cpuset(1) list syntax, checked against hw.ncpu) from the moment jail(8) creates it: its jail.conf runs cpuset -l LIST -j NAME in exec.created. --unset-cpuset drops it.

--vnet gives the jail its own network stack and epair (as create --vnet); --ip is then the jail's own address/prefix list or dhcp, written to its /etc/rc.conf.d. On a VNET jail --ip, --bridge, --gateway (none: no default route) and --mac change those; --no-vnet --ip LIST puts it back on the host's stack.

--param sets any jail(8) parameter, checked against jail(8)'s names and types (allow.raw_sockets=1, allow.sysvipc=1, securelevel=3, children.max=2, ...); --unset removes one.`
  static override examples = [
    {description: 'Do not start at boot', command: '<%= config.bin %> <%= command.id %> web1 --norun'},
    {description: 'Allow ping', command: '<%= config.bin %> <%= command.id %> web1 --param allow.raw_sockets=1'},
    {description: 'Rename', command: '<%= config.bin %> <%= command.id %> web1 --rename www.example.com'},
    {description: 'Start db1 first', command: '<%= config.bin %> <%= command.id %> web1 --depend db1'},
    {description: 'Pin to CPUs 0 and 1', command: '<%= config.bin %> <%= command.id %> web1 --cpuset 0-1'},
    {description: 'No longer depend on db1', command: '<%= config.bin %> <%= command.id %> web1 --undepend db1'},
    {
      description: 'Own network stack on bridge0',
      command: '<%= config.bin %> <%= command.id %> web1 --vnet --ip 192.0.2.20/24 --gateway 192.0.2.1',
    },
  ]
  static override args = {
    name: Args.string({description: 'Jail name (or the hostname it was created with).', required: true}),
  }
  static override flags = {
    run: Flags.boolean({description: 'Start with `tsez start` (no names) and at boot.', exclusive: ['norun']}),
    norun: Flags.boolean({description: 'Do not start without being named.', exclusive: ['run']}),
    rename: Flags.string({description: 'New name (or hostname); the hostname follows unless --hostname is given.'}),
    ip: Flags.string({description: 'Replace the addresses: comma-separated [iface|]address[/prefix].'}),
    hostname: Flags.string({description: 'host.hostname.'}),
    depend: Flags.string({
      multiple: true,
      multipleNonGreedy: true,
      description: 'A jail to start before this one (repeatable).',
    }),
    undepend: Flags.string({
      multiple: true,
      multipleNonGreedy: true,
      description: 'Drop a jail from the depend list (repeatable; it must be on the list).',
    }),
    param: Flags.string({
      multiple: true,
      multipleNonGreedy: true,
      description: 'jail(8) parameter NAME=VALUE (repeatable).',
    }),
    unset: Flags.string({
      multiple: true,
      multipleNonGreedy: true,
      description: 'Remove a parameter set with --param (repeatable).',
    }),
    cpuset: Flags.string({
      description: 'Pin the jail to these CPUs from its creation on: cpuset(1) list, e.g. 0-3,5.',
      exclusive: ['unset-cpuset'],
    }),
    'unset-cpuset': Flags.boolean({description: 'No longer pin the jail to CPUs.', exclusive: ['cpuset']}),
    vnet: Flags.boolean({
      allowNo: true,
      description: 'Own network stack with an epair on a bridge (--no-vnet: back on the host stack, needs --ip).',
    }),
    bridge: Flags.string({description: 'A VNET jail: the bridge its epair joins.'}),
    gateway: Flags.string({
      multiple: true,
      multipleNonGreedy: true,
      description: 'A VNET jail: default router, IPv4 and/or IPv6 (repeatable; none drops them).',
    }),
    mac: Flags.string({description: "A VNET jail: its interface's MAC, or auto (stable, from the name)."}),
    'dry-run': dryRunFlag,
  }

  async run(): Promise<ConfigResult | WithJailObjects<ConfigResult, 'jail'>> {
    const {args, flags} = await this.parse(Config)
    const {config, deps} = await this.setup(flags)
    const {configureJail} = await import('../src/jailconfig/service.js')
    const result = await configureJail(
      config,
      {
        name: args.name,
        run: flags.run ? true : flags.norun ? false : undefined,
        rename: flags.rename,
        ipList: flags.ip,
        hostname: flags.hostname,
        depend: flags.depend,
        undepend: flags.undepend,
        params: flags.param,
        unset: flags.unset,
        cpuset: flags.cpuset,
        unsetCpuset: flags['unset-cpuset'] === true,
        vnet: flags.vnet,
        bridge: flags.bridge,
        mac: flags.mac,
        gateways: flags.gateway,
        dryRun: flags['dry-run'] === true,
        lockWaitMs: this.lockWaitMs(),
      },
      deps,
    )
    if (result.dryRun) for (const line of result.plan) this.log(line)
    else if (result.renamedFrom !== null) this.log(`renamed jail ${result.renamedFrom} to ${result.jail.name}`)
    else this.log(`updated jail ${result.jail.name}`)
    return this.withJailObjects(config, deps, result, 'jail')
  }
}
