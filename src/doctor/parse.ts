// Pure readers of host text for tsez doctor: `ifconfig -a` output, rc.conf assignments, /etc/jail.conf's jails.
import {parseJailConf, type JailConfFile} from '../jail/conf-parse.js'

/** Interface name → its inet and inet6 addresses (zone ids dropped), from `ifconfig -a`. */
export function parseIfconfig(text: string): Map<string, string[]> {
  const interfaces = new Map<string, string[]>()
  let current: string[] | undefined
  for (const line of text.split('\n')) {
    const header = /^([A-Za-z][\w.-]*): flags=/.exec(line)
    if (header) {
      current = []
      interfaces.set(header[1]!, current)
      continue
    }
    const address = /^\s+inet6? ([0-9A-Fa-f.:]+)(?:%\S+)?(?:\/\d+)?\s/.exec(`${line} `)
    if (address && current) current.push(address[1]!.toLowerCase())
  }
  return interfaces
}

/**
 * The variables rc.conf-style TEXT assigns (`name="value"`, `name='value'`, `name=value`, a trailing `#` comment),
 * later lines winning. Parsed, never run: anything else (a command, `${x}`) is ignored, as doctor only reads.
 */
export function parseRcAssignments(text: string, into = new Map<string, string>()): Map<string, string> {
  for (const raw of text.split('\n')) {
    const match = /^\s*([A-Za-z_]\w*)=(?:"([^"]*)"|'([^']*)'|([^\s"'#;]*))\s*(?:#.*)?$/.exec(raw)
    if (match) into.set(match[1]!, match[2] ?? match[3] ?? match[4] ?? '')
  }
  return into
}

/** rc.subr's checkyesno: YES, TRUE, ON or 1, in any case. */
export function isYes(value: string | undefined): boolean {
  return /^(yes|true|on|1)$/i.test(value ?? '')
}

/**
 * The jails /etc/jail.conf defines by name and the patterns it `.include`s (not followed: doctor matches them
 * against tsez's own files), or the problem jail(8) would have with it.
 */
export function outlineJailConf(
  text: string,
  fileName: string,
): {names: string[]; includes: string[]; problem?: string} {
  const includes: string[] = []
  const include = (pattern: string): JailConfFile[] => {
    includes.push(pattern)
    return [{name: pattern, text: ''}]
  }
  try {
    const names = parseJailConf(text, {fileName, include}).map((jail) => jail.name)
    return {names, includes}
  } catch (error) {
    return {names: [], includes: [], problem: (error as Error).message}
  }
}
