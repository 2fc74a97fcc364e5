// tsez import ezjail: adopt an ezjail host's jails in place (nothing copied, ezjail's files unchanged), or --undo it.
import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'

import {TsezCommand, dryRunFlag, type WithJailObjects} from '../../src/cli/base-command.js'
import {EXIT, quoteUnlessPlain} from '../../src/errors.js'
import type {ImportResult, UndoResult} from '../../src/import/service.js'

export default class ImportEzjail extends TsezCommand {
  static override summary = "Adopt ezjail's jails in place: same names, roots, addresses and start order."
  static override description = `Reads ezjail.conf and ezjail's jail files without running them (sh is parsed, never executed), and writes for each jail a tsez record, tsez_jailconf_dir/NAME.conf and tsez_fstab_dir/fstab.NAME describing the same jail: name, hostname, root (not moved, not copied), addresses, run/norun, exec commands, devfs ruleset, procfs/fdescfs, FIB, cpuset, ZFS datasets, extra parameters, the fstab's own mounts, and rcorder's REQUIRE/BEFORE order as depend. ezjail's files are never changed.

A jail tsez cannot express (an image jail, a file it cannot read without running it, a root outside ezjail_jaildir, a name tsez already uses) is left to ezjail with one line saying why; the others are imported (exit 1 then; exit 2 when tsez could adopt none of the jails, and nothing changed). Running it again imports nothing new. --undo forgets what the import wrote.`
  static override examples = [
    {description: 'See what would be written', command: '<%= config.bin %> <%= command.id %> -n'},
    {description: 'Adopt every ezjail jail', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'Adopt two of them', command: '<%= config.bin %> <%= command.id %> www.example.com db'},
    {description: 'Go back to ezjail', command: '<%= config.bin %> <%= command.id %> --undo'},
  ]
  static override strict = false
  static override args = {
    name: Args.string({description: 'Jails to import (ezjail names or hostnames); every jail when none is given.'}),
  }
  static override flags = {
    'ezjail-conf': Flags.string({description: "ezjail's configuration.", default: '/usr/local/etc/ezjail.conf'}),
    'ezjail-dir': Flags.string({description: "ezjail's jail files.", default: '/usr/local/etc/ezjail'}),
    'fstab-dir': Flags.string({description: "Where ezjail's fstab.NAME files are.", default: '/etc'}),
    undo: Flags.boolean({description: 'Forget the jails an ezjail import made (their tsez files only).'}),
    'dry-run': dryRunFlag,
  }

  async run(): Promise<ImportResult | WithJailObjects<ImportResult, 'imported'> | UndoResult> {
    const {argv, flags} = await this.parse(ImportEzjail)
    const {config, deps} = await this.setup(flags)
    const service = await import('../../src/import/service.js')
    const names = argv.map(String)
    const common = {names, dryRun: flags['dry-run'] === true, lockWaitMs: this.lockWaitMs()}
    if (flags.undo) {
      const undone = await service.undoEzjailImport(config, {...common, ezjailDir: flags['ezjail-dir']}, deps)
      const verb = undone.dryRun ? 'would remove' : 'removed'
      for (const file of undone.files) this.log(`${verb} ${file}`)
      for (const name of undone.forgotten) this.log(`${undone.dryRun ? 'would forget' : 'forgot'} ${name}`)
      this.steps(undone.steps)
      return undone
    }
    const options = {
      ...common,
      ezjailConf: flags['ezjail-conf'],
      ezjailDir: flags['ezjail-dir'],
      fstabDir: flags['fstab-dir'],
    }
    const result = await service.importEzjail(config, options, deps)
    this.render(result)
    // exit 2 only when there is nothing of ezjail's tsez could adopt, so nothing changed; otherwise a refusal is a failure.
    const adopted = result.imported.length + result.already.length > 0
    if (result.refused.length > 0) process.exitCode = adopted ? EXIT.failed : EXIT.usage
    return this.withJailObjects(config, deps, result, 'imported')
  }

  private render(result: ImportResult): void {
    const would = result.dryRun ? 'would import' : 'imported'
    if (result.dryRun) for (const file of result.files) this.log(`would write ${file}`)
    for (const jail of result.imported) {
      const order = jail.depend.length > 0 ? `, after ${jail.depend.join(' ')}` : ''
      const run = jail.run ? '' : ', norun'
      this.log(`${would} ${jail.name} (${jail.hostname}, ${jail.root}, ${jail.addresses.join(',')}${run}${order})`)
    }
    for (const name of result.already) this.log(`${name}: already managed by tsez`)
    if (this.jsonEnabled()) return
    for (const line of result.warnings) process.stderr.write(`tsez: warning: ${line}\n`)
    for (const {name, reason} of result.refused)
      process.stderr.write(`tsez: ${quoteUnlessPlain(name)} not imported: ${reason}\n`)
    this.steps(result.steps)
  }

  private steps(steps: string[]): void {
    if (this.jsonEnabled() || steps.length === 0) return
    process.stderr.write(`Next:\n${steps.map((s) => `  ${s}\n`).join('')}`)
  }
}
