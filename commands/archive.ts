// tsez archive: each named jail (or every jail) into DIR/NAME-STAMP.tsez.tar.xz with its .sha256, atomically.
import * as Flags from '@oclif/core/flags'

import {TsezCommand, dryRunFlag} from '../src/cli/base-command.js'
import {EXIT} from '../src/errors.js'
import type {ArchiveResult} from '../src/archive/service.js'
import type {Compression} from '../src/jail/archive-format.js'

export default class Archive extends TsezCommand {
  static override summary = 'Archive jails: own tree, jail.conf, fstab, record; one checksummed file.'
  static override description = `Writes DIR/NAME-YYYYMMDDTHHMMSSZ.tsez.tar.xz (default DIR tsez_archives) and NAME-....tsez.tar.xz.sha256 (sha256sum's format). The archive holds tsez-archive.json (format, record, release, host, sizes), the jail's jail.conf and fstab, and root/: the jail's own tree, never the basejail mounted in it nor anything else mounted under its root. It is written under a temporary name and renamed into place only when complete, synced and checksummed. A running jail is refused unless -f; a jail in a ZFS dataset is archived from a read-only clone of a fresh snapshot, running or not, the snapshot and clone destroyed before the rename. With several jails, one failure does not stop the others; the exit status is then 1. See docs/archive.md.`
  static override strict = false
  static override usage = '<%= command.id %> [-d DIR] [-c xz|zstd|none] [-f] NAME... | -A'
  static override examples = [
    {description: 'One jail into tsez_archives', command: '<%= config.bin %> <%= command.id %> web1'},
    {description: 'Every jail, zstd, elsewhere', command: '<%= config.bin %> <%= command.id %> -A -c zstd -d /backup'},
  ]
  static override flags = {
    dir: Flags.string({char: 'd', description: 'Directory for the archives (default tsez_archives).'}),
    compress: Flags.string({
      char: 'c',
      options: ['xz', 'zstd', 'none'],
      default: 'xz',
      description: 'Compression: xz (.tsez.tar.xz), zstd (.tsez.tar.zst) or none (.tsez.tar).',
    }),
    force: Flags.boolean({
      char: 'f',
      description: 'Archive a running jail too (its files may change meanwhile); not needed on ZFS.',
    }),
    all: Flags.boolean({char: 'A', description: 'Archive every jail.'}),
    'dry-run': dryRunFlag,
  }

  async run(): Promise<ArchiveResult> {
    const {argv, flags} = await this.parse(Archive)
    const {config, deps} = await this.setup(flags)
    const {archiveJails} = await import('../src/archive/service.js')
    const result = await archiveJails(
      config,
      {
        names: argv.map(String),
        all: flags.all === true,
        dir: flags.dir,
        compression: flags.compress as Compression,
        force: flags.force === true,
        dryRun: flags['dry-run'] === true,
        lockWaitMs: this.lockWaitMs(),
        version: this.config.version,
      },
      deps,
    )
    if (result.dryRun) for (const line of result.plan) this.log(line)
    else if (result.jails.length === 0) this.log('no jails to archive')
    for (const jail of result.jails) {
      if (jail.ok) this.log(`${jail.name}: ${jail.file ?? ''}`)
      else if (!this.jsonEnabled()) process.stderr.write(`tsez: archiving ${jail.name} failed: ${jail.error ?? ''}\n`)
    }
    if (!result.ok) process.exitCode = EXIT.failed
    return result
  }
}
