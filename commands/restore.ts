// tsez restore: a jail from a tsez archive, checked whole before anything is written, committed atomically.
import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'

import {TsezCommand, dryRunFlag, type WithJailObjects} from '../src/cli/base-command.js'
import {quoteUnlessPlain} from '../src/errors.js'
import type {RestoreResult} from '../src/restore/service.js'

export default class Restore extends TsezCommand {
  static override summary = 'Restore a jail from a tsez or ezjail archive.'
  static override description = `Checks ARCHIVE against ARCHIVE.sha256 (unless --no-verify), then reads all of it before writing anything: tsez-archive.json first and of a known format version, only jail.conf, fstab and root/... after it, no absolute or ".." names, nothing beneath a symlink of the archive, hard links only within root/, no device nodes. The jail's release (major.minor) must be the basejail's unless --force-release; its name and addresses must be free here. The jail is then built as tsez create builds one: extracted into a staging directory (FIFOs made with mkfifo), jail.conf and fstab rendered for this host, renamed into place (with tsez_use_zfs: extracted into its new dataset tsez_zfs_parent/NAME mounted in staging, then mounted at its root), file flags re-applied with chflags, its record written last. An ezjail archive (ezjail-admin archive: gzip'd cpio or tar of prop.ezjail-TAG, fstab.ezjail and ezjail/) is checked the same way and restored as a thin tsez jail: name, hostname, addresses and norun from its prop file, which is read, never run; without a .sha256 beside it, it is restored unchecked. See docs/archive.md.`
  static override examples = [
    {
      description: 'Restore as it was',
      command: '<%= config.bin %> <%= command.id %> /usr/jails/tsez_archives/web1-20250101T120000Z.tsez.tar.xz',
    },
    {
      description: 'A copy under another name and address',
      command: '<%= config.bin %> <%= command.id %> --name web2 --ip 10.0.0.6 web1-20250101T120000Z.tsez.tar.xz',
    },
  ]
  static override args = {
    archive: Args.string({
      description: 'The archive file (NAME-STAMP.tsez.tar.xz, or an ezjail NAME-STAMP.tar.gz).',
      required: true,
    }),
  }
  static override flags = {
    name: Flags.string({description: 'Name (or hostname) of the restored jail (default: the archived one).'}),
    ip: Flags.string({description: 'Its addresses, [iface|]address[/prefix],... (default: the archived ones).'}),
    rootdir: Flags.string({char: 'r', description: 'Root directory (relative: under tsez_jaildir).'}),
    'no-verify': Flags.boolean({description: 'Do not check ARCHIVE.sha256.'}),
    'force-release': Flags.boolean({description: "Restore a jail of another release than the basejail's."}),
    'dry-run': dryRunFlag,
  }

  async run(): Promise<RestoreResult | WithJailObjects<RestoreResult, 'jail'>> {
    const {args, flags} = await this.parse(Restore)
    const {config, deps} = await this.setup(flags)
    const {restoreJail} = await import('../src/restore/service.js')
    const result = await restoreJail(
      config,
      {
        archive: args.archive,
        name: flags.name,
        ipList: flags.ip,
        rootdir: flags.rootdir,
        verify: flags['no-verify'] !== true,
        forceRelease: flags['force-release'] === true,
        dryRun: flags['dry-run'] === true,
        lockWaitMs: this.lockWaitMs(),
      },
      deps,
    )
    if (result.dryRun) for (const line of result.plan) this.log(line)
    else {
      const {jail} = result
      this.log(
        `restored jail ${jail.name} (${jail.hostname}) at ${jail.root} from ${quoteUnlessPlain(result.from.host)}, ${quoteUnlessPlain(result.from.created)}`,
      )
      this.log(`start it with: tsez start ${jail.name}`)
    }
    return this.withJailObjects(config, deps, result, 'jail')
  }
}
