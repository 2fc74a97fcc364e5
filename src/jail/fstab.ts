// fstab(5) files for jail(8)'s mount.fstab, the basejail nullfs entry, and parsing `mount -p` output.
import {quote} from '../errors.js'

/*
 * jail(8) does not read mount.fstab with getfsent(3): it cuts each line at the first `#`, splits it on
 * whitespace with strtok(3), and runs `mount -t TYPE -o OPTIONS DEVICE MOUNTPOINT` with the pieces as
 * they are (usr.sbin/jail/config.c, command.c). fstab(5)'s `\040` escapes are therefore NOT decoded,
 * so a path with a space, tab or `#` can never work in a jail's fstab. renderFstab refuses such fields
 * instead of writing a file that fails at `tsez start`; fstabFieldProblem lets callers (create -r ROOTDIR,
 * tsez_jaildir) refuse them up front. jail(8) also requires an absolute mount point.
 *
 * `mount -p` prints fstab lines without escaping anything: device and mount point are each followed by
 * one to three tabs, or by a single space when 24 characters or longer; then type, options, dump and
 * pass, none of which holds whitespace. parseMountP takes those four from the end of the line and splits
 * the rest at its first run of tabs (or its only space), so a space inside a path is read right whenever
 * mount(8)'s layout allows; it also decodes fstab(5)-style `\040` `\011` `\012` `\134` escapes.
 */

export interface FstabEntry {
  device: string
  mountPoint: string
  type: string
  options: string
  dump?: number
  pass?: number
}

/** Why VALUE cannot be a field of a jail's fstab line, or undefined when it can. */
export function fstabFieldProblem(value: string, what = 'fstab field'): string | undefined {
  if (value === '') return `${what} is empty`
  if (/[\s#]/.test(value) || /\p{Cc}/u.test(value)) {
    return `${what} ${quote(value)} contains whitespace, "#" or a control character, which jail(8) cannot mount`
  }
  return undefined
}

/** The fstab text for ENTRIES, one tab-separated line each; throws if a field cannot be written. */
export function renderFstab(entries: readonly FstabEntry[]): string {
  const lines = entries.map((e) => {
    const problems = [
      fstabFieldProblem(e.device, 'device'),
      fstabFieldProblem(e.mountPoint, 'mount point'),
      e.mountPoint.startsWith('/') ? undefined : `mount point ${quote(e.mountPoint)} is not absolute`,
      fstabFieldProblem(e.type, 'file system type'),
      fstabFieldProblem(e.options, 'mount options'),
    ].filter((p) => p !== undefined)
    if (problems.length > 0) throw new Error(`cannot write fstab line: ${problems.join('; ')}`)
    return [e.device, e.mountPoint, e.type, e.options, e.dump ?? 0, e.pass ?? 0].join('\t')
  })
  return lines.map((l) => `${l}\n`).join('')
}

/** The read-only nullfs mount of the basejail on ROOT/basejail, where the jail's symlinks point. */
export function basejailFstabEntry(basejail: string, root: string): FstabEntry {
  return {
    device: basejail.replace(/(?<=.)\/+$/, ''),
    mountPoint: `${root.replace(/\/+$/, '')}/basejail`,
    type: 'nullfs',
    options: 'ro',
    dump: 0,
    pass: 0,
  }
}

/** The mounts in `mount -p` output; throws on a line whose device and mount point cannot be told apart. */
export function parseMountP(text: string): FstabEntry[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const tail = /[ \t]+(\S+)[ \t]+(\S+)[ \t]+(\d+)[ \t]+(\d+)[ \t]*$/.exec(line)
      const head = tail === null ? '' : line.slice(0, tail.index)
      const tab = /\t+/.exec(head)
      const space = head.indexOf(' ')
      let split: [string, string] | undefined
      if (tab !== null) split = [head.slice(0, tab.index), head.slice(tab.index + tab[0].length)]
      else if (space !== -1 && space === head.lastIndexOf(' ')) split = [head.slice(0, space), head.slice(space + 1)]
      if (tail === null || split === undefined || split[0] === '' || split[1] === '') {
        throw new Error(`cannot read this line of \`mount -p\` output: ${quote(line)}`)
      }
      return {
        device: unescape(split[0]),
        mountPoint: unescape(split[1]),
        type: tail[1] ?? '',
        options: tail[2] ?? '',
        dump: Number(tail[3]),
        pass: Number(tail[4]),
      }
    })
}

function unescape(field: string): string {
  return field.replace(/\\(040|011|012|134)/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)))
}
