// tsez list: one row per jail (state, JID, addresses, hostname, root, release) from one jls call.
import * as Flags from '@oclif/core/flags'

import {TsezCommand} from '../src/cli/base-command.js'
import type {ListResult} from '../src/list/service.js'

export default class List extends TsezCommand {
  static override summary = 'List the jails: state, JID, addresses, hostname, root and release.'
  static override description = `The STA column is ezjail's: D (directory jail), R running or S stopped, N not started at boot; "--" marks an incomplete jail (files of an interrupted create, or a record whose root is gone), with what cleans it up. Release is the basejail's current userland, which every thin jail runs. Columns are as wide as their content; a jail's addresses are joined with "," on its row. -o picks the columns.

--json prints {"version": 1, "jails": [{name, state, jid, addresses, hostname, root, release, thick, flavours, depend}]}, state being running, stopped, norun or incomplete (then with "problem").`
  static override examples = [
    {description: 'The table', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'Machine-readable', command: '<%= config.bin %> <%= command.id %> --json'},
    {description: 'Pick columns', command: '<%= config.bin %> <%= command.id %> -o name,state,root,depend'},
  ]
  static override flags = {
    columns: Flags.string({
      char: 'o',
      description:
        'Columns to show, comma-separated: sta, jid, name, state, ip, hostname, root, release, depend, flavours.',
    }),
  }

  async run(): Promise<ListResult> {
    const {flags} = await this.parse(List)
    const {config, deps} = await this.setup(flags)
    const [{listJails}, {parseColumns, renderJailTable}] = await Promise.all([
      import('../src/list/service.js'),
      import('../src/list/render.js'),
    ])
    const columns = flags.columns === undefined ? undefined : parseColumns(flags.columns)
    const result = await listJails(config, deps)
    if (!this.jsonEnabled()) process.stdout.write(renderJailTable(result.jails, columns))
    return result
  }
}
