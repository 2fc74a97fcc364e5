// Jail names: checking the NAME a user gives `tsez create`, and deriving the jail name and hostname from it.
import {quote} from '../errors.js'

/*
 * NAME is either a hostname (`www.example.com`) or a plain name (`www`, `build_14-amd64`).
 *
 * The jail name is NAME with every character outside [A-Za-z0-9_] turned into `_`: a `.` would make
 * jail(8) treat the jail as a child of another jail, and the name is also used in file names and rc
 * variables. The hostname is NAME itself.
 *
 * Rules (each problem message names the rule it breaks):
 *  1. NAME is not empty.
 *  2. NAME is at most 200 characters long.
 *  3. NAME contains only letters, digits, `-`, `_` and `.`. Anything else (spaces, control characters,
 *     quotes, `/`, `$`, non-ASCII letters…) is refused outright rather than mapped to `_`, because a
 *     hostname can never contain it and it is almost always a mistake (a shell quoting slip, a path).
 *  4. A NAME with a `.` is a hostname and must be valid by RFC 1123: labels of 1 to 63 letters, digits
 *     and `-`, none starting or ending with `-`, and (RFC 1123 §2.1) a last label that is not all
 *     digits, so an IP address can never be taken for a name. `..` and leading or trailing dots are
 *     empty labels. (RFC 1123's 253-character total is already covered by rule 2.)
 *  5. A NAME without a `.` is a plain name of letters, digits, `-` and `_`; it must not start with `-`
 *     (every tool would take it for an option).
 *  6. The jail name is not all digits: jail(8), jls(8) and jexec(8) would read it as a jail ID.
 *  7. The jail name is not reserved (tsez's own directories: basejail, newjail, flavours, …), compared
 *     after mapping and case-sensitively.
 *  8. The jail name does not collide with an existing jail's after mapping: `www-example.com` and
 *     `www.example.com` both become `www_example_com`, so the second is refused, naming the first.
 */

export const MAX_NAME_LENGTH = 200
const MAX_LABEL_LENGTH = 63

export interface NameContext {
  /** Names (or hostnames) of the jails that exist already. */
  existing: readonly string[]
  /** Names no jail may have: the base names of tsez's own directories. */
  reserved: readonly string[]
}

/** The jail(8) name for NAME: every character outside [A-Za-z0-9_] becomes `_`. */
export function jailNameFor(name: string): string {
  return name.replace(/[^A-Za-z0-9_]/g, '_')
}

/** Every problem with NAME as a new jail's name, one line each; empty when NAME is acceptable. */
export function validateJailName(input: string, context: NameContext): string[] {
  if (input === '') return ['jail name is empty']
  const problems: string[] = []
  const shown = show(input)
  if (input.length > MAX_NAME_LENGTH) {
    problems.push(`jail name ${shown} is ${input.length} characters long; the limit is ${MAX_NAME_LENGTH}`)
  }
  const bad = [...new Set(input.replace(/[A-Za-z0-9._-]/g, ''))]
  if (bad.length > 0) {
    problems.push(
      `jail name ${shown} contains ${bad.map(describeChar).join(', ')}; ` +
        'a name may only contain letters, digits, "-", "_" and "." (a hostname)',
    )
  } else if (input.includes('.')) {
    problems.push(...hostnameProblems(input, shown))
  } else if (input.startsWith('-')) {
    problems.push(`jail name ${shown} starts with "-", which every tool would take for an option`)
  }

  const jailName = jailNameFor(input)
  if (/^[0-9]+$/.test(jailName)) {
    problems.push(`jail name ${shown} is all digits; jail(8), jls(8) and jexec(8) would take it for a jail ID`)
  }
  const reserved = context.reserved.find((r) => jailNameFor(r) === jailName)
  if (reserved !== undefined) {
    problems.push(
      `jail name ${show(jailName)} is reserved for tsez's own use (${show(reserved)}); ` +
        `reserved names: ${context.reserved.join(', ')}`,
    )
  }
  const taken = context.existing.find((e) => jailNameFor(e) === jailName)
  if (taken === input) {
    problems.push(`a jail named ${shown} already exists`)
  } else if (taken !== undefined) {
    problems.push(
      `${shown} becomes jail name ${show(jailName)}, which the existing jail ${show(taken)} already has ` +
        '(every character other than letters, digits and "_" becomes "_")',
    )
  }
  return problems
}

/**
 * Why HOSTNAME cannot be given to a jail (--hostname), OTHERS being every other jail: commands find a jail by its
 * name, else its hostname, so a hostname another jail has (as hostname or name) would name two jails.
 */
export function hostnameTakenProblem(
  hostname: string,
  others: ReadonlyArray<{name: string; hostname: string}>,
): string | undefined {
  const holder = others.find((other) => other.hostname === hostname || other.name === hostname)
  if (holder === undefined) return undefined
  const what = holder.name === hostname ? 'the name' : 'the hostname'
  return `--hostname: jail ${holder.name} has ${what} ${show(hostname)} already; tsez finds a jail by its name or hostname, so give another`
}

function hostnameProblems(input: string, shown: string): string[] {
  const problems: string[] = []
  const prefix = `jail name ${shown} is not a valid hostname:`
  const labels = input.split('.')
  if (labels.includes('')) {
    problems.push(`${prefix} it has an empty label (a leading, trailing or doubled ".")`)
  }
  for (const label of labels.filter((l) => l !== '')) {
    if (label.length > MAX_LABEL_LENGTH) {
      problems.push(`${prefix} label ${show(label)} is longer than ${MAX_LABEL_LENGTH} characters`)
    }
    if (label.startsWith('-') || label.endsWith('-')) {
      problems.push(`${prefix} label ${show(label)} starts or ends with "-"`)
    }
    if (label.includes('_')) {
      problems.push(
        `${prefix} label ${show(label)} contains "_"; hostname labels may only hold letters, digits and "-" ` +
          '(use "-", or a plain name without dots)',
      )
    }
  }
  const last = labels[labels.length - 1] ?? ''
  if (/^[0-9]+$/.test(last)) {
    problems.push(`${prefix} its last label ${show(last)} is all digits, so it looks like an IP address`)
  }
  return problems
}

/** A character as a message shows it: printable ASCII quoted, the rest by code point. */
function describeChar(char: string): string {
  const code = char.codePointAt(0) ?? 0
  const hex = `U+${code.toString(16).toUpperCase().padStart(4, '0')}`
  if (char === ' ') return 'a space'
  if (code < 0x20 || code === 0x7f) return `the control character ${hex}`
  if (code > 0x7e) return `${quote(char)} (${hex})`
  return quote(char)
}

/** NAME as it appears in a message: quoted, escaped to one line, and cut short when very long. */
function show(text: string): string {
  return quote(text.length > 60 ? `${text.slice(0, 60)}…` : text)
}
