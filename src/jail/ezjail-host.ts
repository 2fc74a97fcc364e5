// ezjail's global settings (ezjail.conf) with ezjail-admin's defaults, read without running the file.
import {quote, UsageError} from '../errors.js'
import {readShAssignments} from './sh-assignments.js'

export interface EzjailHost {
  jaildir: string
  basejail: string
  newjail: string
  flavours: string
  useZfs: boolean
  /** ezjail_jailzfs: the parent dataset of the basejail, newjail and ZFS jails (empty without ZFS). */
  jailzfs: string
}

/**
 * ezjail-admin's `: ${ezjail_jaildir=/usr/jails}` block: a key the file leaves unset gets its default, and a
 * default may refer to keys resolved before it (ezjail.md §3).
 */
const DEFAULTS: ReadonlyArray<readonly [string, (v: Map<string, string>) => string]> = [
  ['ezjail_jaildir', () => '/usr/jails'],
  ['ezjail_jailtemplate', (v) => `${v.get('ezjail_jaildir')}/newjail`],
  ['ezjail_jailbase', (v) => `${v.get('ezjail_jaildir')}/basejail`],
  ['ezjail_flavours_dir', (v) => `${v.get('ezjail_jaildir')}/flavours`],
  ['ezjail_use_zfs', () => 'NO'],
  ['ezjail_jailzfs', () => ''],
]

/** The settings in TEXT (ezjail.conf; undefined when the file does not exist); throws UsageError naming FILE:LINE. */
export function readEzjailHost(text: string | undefined, file: string): EzjailHost {
  const read = readShAssignments(text ?? '')
  const first = read.problems[0]
  if (first) {
    throw new UsageError(`${file}:${first.line}: ${first.message}; tsez reads ezjail.conf without running it`)
  }
  const values = new Map(read.values)
  for (const [key, fallback] of DEFAULTS) if (!values.has(key)) values.set(key, fallback(values))
  const get = (key: string) => values.get(key) ?? ''
  const host = {
    jaildir: get('ezjail_jaildir'),
    basejail: get('ezjail_jailbase'),
    newjail: get('ezjail_jailtemplate'),
    flavours: get('ezjail_flavours_dir'),
    useZfs: /^yes$/i.test(get('ezjail_use_zfs')),
    jailzfs: get('ezjail_jailzfs'),
  }
  for (const [key, value] of Object.entries({
    ezjail_jaildir: host.jaildir,
    ezjail_jailbase: host.basejail,
    ezjail_jailtemplate: host.newjail,
    ezjail_flavours_dir: host.flavours,
  })) {
    if (!value.startsWith('/') || /\p{Cc}/u.test(value) || value.split('/').includes('..')) {
      throw new UsageError(`${file}: ${key} ${quote(value)} is not an absolute path ezjail could use`)
    }
  }
  if (host.jaildir.replace(/\/+$/, '') === '') {
    throw new UsageError(`${file}: ezjail_jaildir is the host's /; tsez will not adopt jails from there`)
  }
  return host
}
