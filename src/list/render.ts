// The human table of `tsez list`: ezjail's columns plus Release, sized from their content; a pure function of the result.
import {quote, UsageError} from '../errors.js'
import type {ListedJail} from './service.js'

/*
 * STA, as ezjail prints it: D (a directory jail), then R running or S stopped, then N when it is not started
 * without names or at boot. An incomplete jail shows `--` and a line under it saying what is wrong.
 * One row per jail: its addresses are joined with "," as jail(8) writes them (the `iface|` prefixes dropped), and
 * each column is as wide as its widest cell, so a long root never pushes Release out of line.
 * A thick jail's release is its own, marked so: `tsez update` leaves it alone.
 */

const COLUMNS = {
  sta: {header: 'STA', cell: status},
  jid: {header: 'JID', cell: (j: ListedJail) => (j.jid === null ? 'N/A' : String(j.jid))},
  name: {header: 'Name', cell: (j: ListedJail) => j.name},
  state: {header: 'State', cell: (j: ListedJail) => j.state},
  ip: {header: 'IP', cell: (j: ListedJail) => j.addresses.map((a) => a.replace(/^[^|]*\|/, '')).join(',') || '-'},
  hostname: {header: 'Hostname', cell: (j: ListedJail) => j.hostname || j.name},
  root: {header: 'Root', cell: (j: ListedJail) => j.root ?? '-'},
  release: {
    header: 'Release',
    cell: (j: ListedJail) => (j.thick ? `${j.release ?? '-'} (thick: not updated)` : (j.release ?? '-')),
  },
  depend: {header: 'Depend', cell: (j: ListedJail) => j.depend.join(',') || '-'},
  flavours: {header: 'Flavours', cell: (j: ListedJail) => j.flavours.join(',') || '-'},
} as const

export type ListColumn = keyof typeof COLUMNS
export const DEFAULT_COLUMNS: readonly ListColumn[] = ['sta', 'jid', 'ip', 'hostname', 'root', 'release']

/** `-o sta,name,root`: the columns in the order given; an unknown one is bad input. */
export function parseColumns(text: string): ListColumn[] {
  const names = text.split(',').map((n) => n.trim().toLowerCase())
  const unknown = names.filter((n) => !(n in COLUMNS))
  if (unknown.length > 0 || names.length === 0) {
    throw new UsageError(
      `-o: unknown column ${unknown.map((n) => quote(n)).join(', ') || '""'}; choose from ${Object.keys(COLUMNS).join(',')}`,
    )
  }
  return names as ListColumn[]
}

export function renderJailTable(
  jails: readonly ListedJail[],
  columns: readonly ListColumn[] = DEFAULT_COLUMNS,
): string {
  const rows = jails.map((jail) => columns.map((column) => COLUMNS[column].cell(jail)))
  const headers = columns.map((column) => COLUMNS[column].header)
  const widths = headers.map((header, i) => Math.max(header.length, ...rows.map((row) => (row[i] ?? '').length)))
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join(' ')
      .trimEnd() + '\n'
  let out = line(headers) + line(widths.map((w) => '-'.repeat(w)))
  jails.forEach((jail, index) => {
    out += line(rows[index] ?? [])
    if (jail.problem !== undefined) out += `    incomplete: ${jail.problem}\n`
  })
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
    case 'unknown':
      return '??'
  }
}
