// The human table of `tsez list`, ezjail's layout plus a Release column: a pure function of the list result.
import type {ListedJail} from './service.js'

/*
 * STA, as ezjail prints it: D (a directory jail), then R running or S stopped, then N when it is not started
 * without names or at boot. An incomplete jail shows `--` and a line under it saying what is wrong.
 * A thick jail's release is its own, marked so: `tsez update` leaves it alone.
 * The first address is shown without its `iface|` prefix; further addresses follow on their own lines.
 */

const HEADER = ['STA', 'JID', 'IP', 'Hostname', 'Root', 'Release'] as const
const WIDTHS = [3, 4, 15, 30, 30] as const

export function renderJailTable(jails: readonly ListedJail[]): string {
  const row = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i < WIDTHS.length ? cell.padEnd(WIDTHS[i] ?? 0) : cell))
      .join(' ')
      .trimEnd() + '\n'
  let out = row(HEADER) + row(WIDTHS.map((w) => '-'.repeat(w)).concat('-'.repeat(12)))
  for (const jail of jails) {
    const [first = '-', ...more] = jail.addresses
    out += row([
      status(jail),
      jail.jid === null ? 'N/A' : String(jail.jid),
      first.replace(/^[^|]*\|/, ''),
      jail.hostname || jail.name,
      jail.root ?? '-',
      jail.thick ? `${jail.release ?? '-'} (thick: not updated)` : (jail.release ?? '-'),
    ])
    for (const address of more) out += `    ${(jail.jid === null ? 'N/A' : String(jail.jid)).padEnd(4)} ${address}\n`
    if (jail.problem !== undefined) out += `    incomplete: ${jail.problem}\n`
  }
  return out
}

function status(jail: ListedJail): string {
  switch (jail.state) {
    case 'running':
      return 'DR'
    case 'stopped':
      return 'DS'
    case 'norun':
      return 'DSN'
    case 'incomplete':
      return '--'
  }
}
