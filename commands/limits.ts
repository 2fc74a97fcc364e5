// tsez limits: show a jail's rctl(8) limits, or set and unset them (applied at once to a running jail).
import * as Flags from '@oclif/core/flags'

import {TsezCommand, dryRunFlag} from '../src/cli/base-command.js'
import {UsageError} from '../src/errors.js'
import type {LimitsResult} from '../src/limits/service.js'

export default class Limits extends TsezCommand {
  static override summary = "Show or change a jail's resource limits (rctl)."
  static override description = `Each RESOURCE=AMOUNT[/per][:action] sets one rctl(8) rule for the jail (action deny by default; per process, user, loginclass or jail, default jail); one for the same resource and action replaces it. --unset RESOURCE drops every rule of that resource. With neither, the jail's rules are shown.

Resources: memoryuse, vmemoryuse, datasize, stacksize, coredumpsize, memorylocked, swapuse, shmsize, msgqsize, readbps, writebps (bytes: K, M, G, T, P, E suffixes), maxproc, openfiles, nthr, pseudoterminals, readiops, writeiops, nmsgq, msgqqueued, nsem, nsemop, nshm (counts), cputime, wallclock (seconds), pcpu (percent of ONE CPU: up to 100 x hw.ncpu). Actions: deny, log, devctl, throttle (readbps, writebps, readiops, writeiops only), or a signal (sigterm, sigkill, ...).

The rules live in the jail's jail.conf (exec.created adds them, exec.poststop removes them), so service jail start NAME applies them too; a running jail gets them at once. Starting a jail with limits needs kern.racct.enable=1 (set in /boot/loader.conf, then reboot).`
  static override strict = false
  static override usage = '<%= command.id %> NAME [RESOURCE=AMOUNT[/per][:action]...] [--unset RESOURCE]...'
  static override examples = [
    {description: 'Show the limits', command: '<%= config.bin %> <%= command.id %> web1'},
    {
      description: '2 GB of memory, half a CPU',
      command: '<%= config.bin %> <%= command.id %> web1 memoryuse=2G pcpu=50',
    },
    {description: 'Log above 200 processes', command: '<%= config.bin %> <%= command.id %> web1 maxproc=200:log'},
    {description: 'Drop the memory limit', command: '<%= config.bin %> <%= command.id %> web1 --unset memoryuse'},
  ]
  static override flags = {
    unset: Flags.string({
      multiple: true,
      multipleNonGreedy: true,
      description: 'Remove every rule of this resource (repeatable).',
    }),
    'dry-run': dryRunFlag,
  }

  async run(): Promise<LimitsResult> {
    const {argv, flags} = await this.parse(Limits)
    const [name, ...rules] = argv.map(String)
    if (name === undefined) throw new UsageError('give the jail: tsez limits NAME [RESOURCE=AMOUNT...]')
    const {config, deps} = await this.setup(flags)
    const {limitJail} = await import('../src/limits/service.js')
    const result = await limitJail(
      config,
      {
        name,
        rules,
        unset: flags.unset ?? [],
        dryRun: flags['dry-run'] === true,
        lockWaitMs: this.lockWaitMs(),
      },
      deps,
    )
    if (result.dryRun && result.changed) for (const line of result.plan) this.log(line)
    else if (!result.changed && result.limits.length === 0) this.log(`${result.name} has no limits`)
    else if (!result.changed) for (const rule of result.limits) this.log(rule)
    else this.log(`updated the limits of ${result.name}${result.applied ? ' (applied to the running jail)' : ''}`)
    return result
  }
}
