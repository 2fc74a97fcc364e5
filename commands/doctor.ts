// tsez doctor: read-only checks of the host, one line each; --fix repairs the jaildir mode and leftovers.
import * as Flags from '@oclif/core/flags'

import {TsezCommand} from '../src/cli/base-command.js'
import {EXIT} from '../src/errors.js'
import type {DoctorResult} from '../src/doctor/service.js'

export default class Doctor extends TsezCommand {
  static override summary = 'Check the host for what would make jails fail: one line per check.'
  static override description = `Each check prints "ok", "warn", "fail" or "skip", what it found and, when not ok, how to fix it: the jail directory's owner and mode, the basejail's release against the host kernel, kern.securelevel, nullfs, kern.racct.enable, the addresses of jails marked run, double starts at boot (jail_enable and tsez_enable), free space, leftovers of interrupted commands, the host lock. Exit 1 when a check fails; warnings do not.

--fix changes only what is safe and obvious: the jail directory's mode to 0700, and the leftovers of interrupted creates and installs (removed under the host lock). It prints each change.

--json prints {"version": 1, "checks": [{id, status, what, fix}], "ok": boolean} (and "changed" with --fix).`
  static override examples = [
    {description: 'Check the host', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'Repair the jail directory mode and leftovers', command: '<%= config.bin %> <%= command.id %> --fix'},
  ]
  static override flags = {
    fix: Flags.boolean({
      description: 'Set the jail directory to mode 0700 and remove leftovers, printing each change.',
    }),
  }

  async run(): Promise<DoctorResult> {
    const {flags} = await this.parse(Doctor)
    const {config, deps} = await this.setup(flags)
    const [{runDoctor}, {renderDoctor}] = await Promise.all([
      import('../src/doctor/service.js'),
      import('../src/doctor/render.js'),
    ])
    const result = await runDoctor(config, deps, {fix: flags.fix, lockWaitMs: this.lockWaitMs()})
    if (!this.jsonEnabled()) process.stdout.write(renderDoctor(result))
    if (!result.ok) process.exitCode = EXIT.failed
    return result
  }
}
