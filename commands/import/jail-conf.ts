// tsez import jail-conf: adopt the jails of a classic jail.conf in place, as thick jails; the file is never changed.
import * as Args from '@oclif/core/args'

import {TsezCommand, dryRunFlag, type WithJailObjects} from '../../src/cli/base-command.js'
import {EXIT, quoteUnlessPlain} from '../../src/errors.js'
import type {JailConfImportResult} from '../../src/import/jail-conf-service.js'

export default class ImportJailConf extends TsezCommand {
  static override summary = 'Adopt the jails of a jail.conf(5) file in place, as thick jails.'
  static override description = `Reads FILE as jail(8) does (global parameters, the "*" section, $variables, +=, .include) and writes for each jail (or the NAMEs given) a tsez record, tsez_jailconf_dir/NAME.conf and tsez_fstab_dir/fstab.NAME. The jail keeps exactly its own parameters (none of tsez's defaults are added) and its root; it is thick: no basejail is mounted and tsez update leaves it alone. start, stop, console, list and config work as for any tsez jail. FILE is never changed: remove the adopted jails from it afterwards (the command says which).

A jail tsez cannot manage (a name jail.conf allows but tsez does not, an unknown parameter, a root tsez refuses) is left in FILE with one line saying why; exit 1 then, exit 2 when no jail could be adopted.`
  static override examples = [
    {description: 'See what would be written', command: '<%= config.bin %> <%= command.id %> -n /etc/jail.conf'},
    {description: 'Adopt two jails', command: '<%= config.bin %> <%= command.id %> /etc/jail.conf www db'},
  ]
  static override strict = false
  static override args = {
    file: Args.string({description: 'The jail.conf(5) file.', required: true}),
    name: Args.string({description: 'Jails to adopt (every jail of FILE when none is given).'}),
  }
  static override flags = {'dry-run': dryRunFlag}

  async run(): Promise<JailConfImportResult | WithJailObjects<JailConfImportResult, 'imported'>> {
    const {args, argv, flags} = await this.parse(ImportJailConf)
    const {config, deps} = await this.setup(flags)
    const {importJailConf} = await import('../../src/import/jail-conf-service.js')
    const options = {
      file: args.file,
      names: argv.slice(1).map(String),
      dryRun: flags['dry-run'] === true,
      lockWaitMs: this.lockWaitMs(),
    }
    const result = await importJailConf(config, options, deps)
    const verb = result.dryRun ? 'would import' : 'imported'
    if (result.dryRun) for (const file of result.files) this.log(`would write ${file}`)
    for (const jail of result.imported) this.log(`${verb} ${jail.name} (thick, ${jail.hostname}, ${jail.root})`)
    for (const name of result.already) this.log(`${name}: already managed by tsez`)
    if (!this.jsonEnabled()) {
      for (const line of result.warnings) process.stderr.write(`tsez: warning: ${line}\n`)
      for (const {name, reason} of result.refused)
        process.stderr.write(`tsez: ${quoteUnlessPlain(name)} not imported: ${reason}\n`)
      if (result.steps.length > 0) process.stderr.write(`Next:\n${result.steps.map((s) => `  ${s}\n`).join('')}`)
    }
    // exit 2 only when nothing of FILE could be adopted, so nothing changed; otherwise a refusal is a failure.
    const adopted = result.imported.length + result.already.length > 0
    if (result.refused.length > 0) process.exitCode = adopted ? EXIT.failed : EXIT.usage
    return this.withJailObjects(config, deps, result, 'imported')
  }
}
