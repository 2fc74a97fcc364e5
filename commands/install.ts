// tsez install: build the basejail and newjail from verified FreeBSD distribution sets.
import * as Flags from '@oclif/core/flags'

import {TsezCommand, dryRunFlag} from '../src/cli/base-command.js'
import {installBase, type InstallResult} from '../src/install/service.js'

export default class Install extends TsezCommand {
  static override summary = 'Build the basejail and newjail from FreeBSD distribution sets.'
  static override description = `Downloads base (plus lib32 when the release has it, and src with -s), checks each set's sha256 against the release's MANIFEST, extracts them faithfully (owners, modes, hard links, symlinks, mtimes, file flags), patches the tree with freebsd-update, and splits it the ezjail way: the read-only basejail shared by every jail, and the newjail template.

Everything happens in a staging directory under the jail directory and is swapped into place only when all of it succeeded.`
  static override examples = [
    {description: 'Install the release the host runs', command: '<%= config.bin %> <%= command.id %>'},
    {
      description: 'Install 14.3-RELEASE for amd64 from a mirror',
      command: '<%= config.bin %> <%= command.id %> -r 14.3-RELEASE -a amd64/amd64 -h https://download.freebsd.org',
    },
    {
      description: 'Install 15.1-RELEASE from pkgbase (FreeBSD-set-minimal-jail)',
      command: '<%= config.bin %> <%= command.id %> --pkgbase -r 15.1-RELEASE',
    },
    {
      description: 'Install from a local directory holding MANIFEST and the sets',
      command: '<%= config.bin %> <%= command.id %> -r 14.3-RELEASE -h file:///usr/freebsd-dist',
    },
  ]
  static override flags = {
    release: Flags.string({
      char: 'r',
      description: 'Release to install, e.g. 14.3-RELEASE (default: the host userland, freebsd-version -u).',
    }),
    arch: Flags.string({
      char: 'a',
      description: 'MACHINE/ARCH, e.g. amd64/amd64 or arm64/aarch64 (default: uname -m/uname -p).',
    }),
    host: Flags.string({
      char: 'h',
      description: 'Mirror: http(s)://host[/path], file:///dir or /dir (default: tsez_mirror).',
    }),
    src: Flags.boolean({char: 's', description: 'Also install the src set (/usr/src).'}),
    patch: Flags.boolean({
      default: true,
      allowNo: true,
      description: 'Bring the new base to the latest patch level with freebsd-update.',
    }),
    verify: Flags.boolean({
      default: true,
      allowNo: true,
      description: 'Check every set against MANIFEST (--no-verify skips it, with a warning).',
    }),
    manifest: Flags.string({
      helpValue: 'FILE',
      description:
        "A trusted MANIFEST to check the sets against (before tsez_manifests, then the mirror's own); a mirror MANIFEST that differs is refused.",
    }),
    pkgbase: Flags.boolean({
      description:
        'Install from pkgbase (the FreeBSD-base pkg repository) instead of distribution sets; -h is then the pkg server (default tsez_pkgbase_mirror). Releases from 16.0 on always use pkgbase.',
    }),
    set: Flags.string({
      helpValue: 'minimal-jail|base-jail',
      description: 'With --pkgbase: the FreeBSD-set-* package to install (default minimal-jail).',
    }),
    force: Flags.boolean({description: 'Replace an existing basejail and newjail.'}),
    'dry-run': dryRunFlag,
  }

  async run(): Promise<InstallResult> {
    const {flags} = await this.parse(Install)
    const {config, deps} = await this.setup(flags)
    const result = await installBase(
      config,
      {
        release: flags.release,
        platform: flags.arch,
        mirror: flags.host,
        src: flags.src,
        patch: flags.patch,
        verify: flags.verify,
        manifest: flags.manifest,
        force: flags.force,
        pkgbase: flags.pkgbase,
        pkgbaseSet: flags.set,
        dryRun: flags['dry-run'],
        lockWaitMs: this.lockWaitMs(),
      },
      deps,
    )
    if (result.dryRun) for (const line of result.plan) this.log(line)
    else {
      this.log(`installed ${result.userland ?? result.release} (${result.machine}/${result.arch})`)
      this.log(`basejail ${result.paths.basejail}`)
      this.log(`newjail  ${result.paths.newjail}`)
      if (result.flavoursInstalled.length > 0)
        this.log(`flavours ${result.flavoursInstalled.join(', ')} -> ${result.paths.flavours}`)
    }
    return result
  }
}
