// tsez update: patch or upgrade the basejail once, and bring every jail's /etc along.
import * as Flags from '@oclif/core/flags'

import {TsezCommand, dryRunFlag} from '../src/cli/base-command.js'
import {UsageError} from '../src/errors.js'
import type {UpdateAction} from '../src/update/plan.js'
import {renderUpdate} from '../src/update/render.js'
import {updateBasejail, type UpdateResult} from '../src/update/service.js'

const ACTIONS: ReadonlyArray<[flag: 'patch' | 'upgrade' | 'build' | 'installworld' | 'rollback', UpdateAction]> = [
  ['patch', 'patch'],
  ['upgrade', 'upgrade'],
  ['build', 'build'],
  ['installworld', 'installworld'],
  ['rollback', 'rollback'],
]

export default class Update extends TsezCommand {
  static override summary = 'Patch or upgrade the basejail once, and bring every jail along.'
  static override description = `-u patches the basejail with freebsd-update (fetch, then install until nothing is left), whatever the number of jails.

-U upgrades it to another release, then merges each jail's /etc with etcupdate against the stock /etc of the new release (built once from its verified base set); conflicts are reported and left for etcupdate resolve.

-b/-i install the world of a source tree (make installworld distribution) into a staging tree, split it as install does and swap basejail and newjail at once; any failure leaves the old base in place. When the source is another release, every jail's /etc is merged with etcupdate. --rollback undoes the last complete freebsd-update install.

A ZFS basejail is snapshotted first and put back if an install fails half way; without ZFS the next -u/-U finishes such an install (freebsd-update cannot undo it).`
  static override examples = [
    {description: 'Apply the latest security patches', command: '<%= config.bin %> <%= command.id %> -u'},
    {
      description: 'Upgrade to 15.1-RELEASE, 8 jails at a time, restarting running jails',
      command: '<%= config.bin %> <%= command.id %> -U -r 15.1-RELEASE -p 8 --restart',
    },
    {
      description: 'Show every command an upgrade would run',
      command: '<%= config.bin %> <%= command.id %> -U -r 15.1-RELEASE -n',
    },
  ]
  static override flags = {
    patch: Flags.boolean({
      char: 'u',
      description: 'Patch the basejail to the latest patch level (freebsd-update fetch/install).',
    }),
    upgrade: Flags.boolean({
      char: 'U',
      description: "Upgrade the basejail to -r RELEASE, then merge every jail's /etc.",
    }),
    build: Flags.boolean({char: 'b', description: 'make buildworld, then as -i.'}),
    installworld: Flags.boolean({
      char: 'i',
      description: 'make installworld and distribution into staging, then swap them in (world already built).',
    }),
    rollback: Flags.boolean({description: 'Undo the last freebsd-update install on the basejail.'}),
    release: Flags.string({char: 'r', description: 'With -U: the release to upgrade to, e.g. 15.1-RELEASE.'}),
    host: Flags.string({
      char: 'h',
      description: "With -U: mirror holding the new release's base set (default: tsez_mirror).",
    }),
    source: Flags.string({char: 's', description: 'With -b/-i: the source tree (default: tsez_sourcetree).'}),
    parallel: Flags.integer({char: 'p', default: 4, description: 'Jails processed at once (etcupdate, restarts).'}),
    restart: Flags.boolean({description: 'Restart running jails once their base (and /etc) is updated.'}),
    'dry-run': dryRunFlag,
  }

  async run(): Promise<UpdateResult> {
    const {flags} = await this.parse(Update)
    const chosen = ACTIONS.filter(([flag]) => flags[flag]).map(([, action]) => action)
    if (chosen.length !== 1) throw new UsageError('give exactly one of -u, -U, -b, -i or --rollback')
    const action = chosen[0]!
    if (flags.release !== undefined && action !== 'upgrade') throw new UsageError('-r RELEASE only goes with -U')
    if (flags.host !== undefined && action !== 'upgrade') throw new UsageError('-h MIRROR only goes with -U')
    if (flags.source !== undefined && action !== 'build' && action !== 'installworld')
      throw new UsageError('-s SOURCETREE only goes with -b or -i')
    const {config, deps} = await this.setup(flags)
    const result = await updateBasejail(
      config,
      {
        action,
        release: flags.release,
        mirror: flags.host,
        sourcetree: flags.source,
        parallel: flags.parallel,
        restart: flags.restart,
        dryRun: flags['dry-run'],
        lockWaitMs: this.lockWaitMs(),
      },
      deps,
    )
    if (result.attention) process.exitCode = 1
    for (const line of renderUpdate(result)) this.log(line)
    return result
  }
}
