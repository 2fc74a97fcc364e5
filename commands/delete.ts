// tsez delete: remove a jail's configuration, and with -w its root, safely (no mounts, no symlinks followed).
import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import {createInterface} from 'node:readline/promises'

import {TsezCommand, dryRunFlag} from '../src/cli/base-command.js'
import {quote, UsageError} from '../src/errors.js'
import type {DeleteResult} from '../src/delete/service.js'

export default class Delete extends TsezCommand {
  static override summary = "Remove a jail's configuration; with -w also its root."
  static override description = `Removes tsez_jailconf_dir/NAME.conf, tsez_fstab_dir/fstab.NAME and the jail's record (last). Without -w the root stays on disk (tsez create -x can take it back). Refuses while the jail runs unless --force, which stops it first with jail -f CONF -r NAME.

-w refuses while anything is mounted at or under the root (mount -p) or a directory in it lies on another file system, clears schg flags with chflags -R noschg, and removes the tree without ever following a symlink. On a terminal -w asks for the jail name; otherwise it needs --force.`
  static override examples = [
    {description: 'Forget a jail, keep its files', command: '<%= config.bin %> <%= command.id %> web1'},
    {description: 'Stop it and remove everything', command: '<%= config.bin %> <%= command.id %> -w --force web1'},
  ]
  static override args = {
    name: Args.string({description: 'Jail name (or the hostname it was created with).', required: true}),
  }
  static override flags = {
    wipe: Flags.boolean({char: 'w', description: "Also remove the jail's root directory."}),
    force: Flags.boolean({description: 'Stop a running jail first; do not ask before -w.'}),
    'dry-run': dryRunFlag,
  }

  async run(): Promise<DeleteResult> {
    const {args, flags} = await this.parse(Delete)
    const {config, deps} = await this.setup(flags)
    const {deleteJail} = await import('../src/delete/service.js')
    const interactive = Boolean(process.stdin.isTTY) && !this.jsonEnabled()
    const asked = flags.wipe && !flags.force && !flags['dry-run'] && interactive
    const confirmed = asked ? await this.confirm(args.name) : false
    if (asked && !confirmed) throw new UsageError(`the answer was not ${quote(args.name)}: nothing deleted`)
    const result = await deleteJail(
      config,
      {
        name: args.name,
        wipe: flags.wipe === true,
        force: flags.force === true,
        confirmed: confirmed || flags['dry-run'] === true,
        dryRun: flags['dry-run'] === true,
        lockWaitMs: this.lockWaitMs(),
      },
      deps,
    )
    if (result.dryRun) for (const line of result.plan) this.log(line)
    else this.log(`deleted jail ${result.name}${result.wiped ? ' and its root' : ''}`)
    return result
  }

  private async confirm(name: string): Promise<boolean> {
    const prompt = createInterface({input: process.stdin, output: process.stderr})
    try {
      const answer = await prompt.question(`Remove jail ${name} and every file in its root? Type its name to confirm: `)
      return answer.trim() === name
    } finally {
      prompt.close()
    }
  }
}
