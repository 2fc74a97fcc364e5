// Loads tsez.conf: sh-style name="value" lines, parsed (never executed), with ${name} references and defaults.
import path from 'node:path'

import {FEATURE_DEFAULTS, resolveFeatures, type FeatureConfig} from './config-features.js'
import {quote, UsageError} from './errors.js'
import {readTrustedFile} from './trusted-file.js'

export const DEFAULT_CONFIG_FILE = '/usr/local/etc/tsez.conf'

export interface TsezConfig extends FeatureConfig {
  jaildir: string
  basejail: string
  newjail: string
  flavours: string
  archives: string
  jailconfDir: string
  fstabDir: string
  confdir: string
  cachedir: string
  dbdir: string
  mirror: string
  sourcetree: string
  defaultFlavours: string[]
  execStart: string
  execStop: string
  devfsRuleset: number
  /** The file the values came from, or undefined when only defaults apply. */
  file: string | undefined
}

/** Keys in the order their defaults are resolved (later defaults may refer to earlier keys). */
const DEFAULTS: ReadonlyArray<readonly [string, string]> = [
  ['tsez_jaildir', '/usr/jails'],
  ['tsez_basejail', '${tsez_jaildir}/basejail'],
  ['tsez_newjail', '${tsez_jaildir}/newjail'],
  ['tsez_flavours', '${tsez_jaildir}/flavours'],
  ['tsez_archives', '${tsez_jaildir}/tsez_archives'],
  ['tsez_jailconf_dir', '/etc/jail.conf.d'],
  ['tsez_fstab_dir', '/etc'],
  ['tsez_confdir', '/usr/local/etc/tsez'],
  ['tsez_cachedir', '/var/cache/tsez'],
  ['tsez_dbdir', '/var/db/tsez'],
  ['tsez_mirror', 'https://download.freebsd.org'],
  ['tsez_sourcetree', '/usr/src'],
  ['tsez_default_flavour', ''],
  ['tsez_exec_start', '/bin/sh /etc/rc'],
  ['tsez_exec_stop', '/bin/sh /etc/rc.shutdown jail'],
  ['tsez_devfs_ruleset', '4'],
  ...FEATURE_DEFAULTS,
]
const KNOWN = new Set(DEFAULTS.map(([key]) => key))
const PATH_KEYS = [
  'tsez_jaildir',
  'tsez_basejail',
  'tsez_newjail',
  'tsez_flavours',
  'tsez_archives',
  'tsez_jailconf_dir',
  'tsez_fstab_dir',
  'tsez_confdir',
  'tsez_cachedir',
  'tsez_dbdir',
  'tsez_sourcetree',
]

/** Trees tsez creates, replaces and removes whole: never the host's `/`. */
const JAIL_TREE_KEYS = ['tsez_jaildir', 'tsez_basejail', 'tsez_newjail', 'tsez_flavours', 'tsez_archives']

export interface LoadConfigOptions {
  /** --config, else $TSEZ_CONFIG, else the default file. An explicitly named file must exist and not be ''. */
  flag?: string
  env?: NodeJS.ProcessEnv
  warn?: (message: string) => void
}

export async function loadConfig(options: LoadConfigOptions = {}): Promise<TsezConfig> {
  const explicit = options.flag ?? options.env?.TSEZ_CONFIG
  if (explicit === '') {
    const source = options.flag === undefined ? 'TSEZ_CONFIG' : '--config'
    throw new UsageError(`${source} is empty: name a config file, or leave it out for ${DEFAULT_CONFIG_FILE}`)
  }
  const file = explicit ?? DEFAULT_CONFIG_FILE
  const source = options.flag !== undefined ? '--config ' : explicit !== undefined ? 'TSEZ_CONFIG ' : ''
  const text = await readTrustedFile(file, {what: 'config', source, missingOk: explicit === undefined})
  const values = text === undefined ? new Map<string, string>() : parseConfigText(text, file, options.warn)
  return resolveConfig(values, text === undefined ? undefined : file)
}

/** Parses the sh-style text into key/value pairs, expanding ${name} from earlier keys. Never runs anything. */
export function parseConfigText(text: string, file: string, warn?: (message: string) => void): Map<string, string> {
  const values = new Map<string, string>()
  const lines = text.split('\n')
  lines.forEach((raw, index) => {
    const where = `${file}:${index + 1}`
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) return
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line)
    if (!match) throw new UsageError(`${where}: not a name="value" line: ${quote(raw)}`)
    const [, key = '', rest = ''] = match
    const value = parseValue(rest, where, (name) => lookup(name, values, where))
    if (!KNOWN.has(key)) warn?.(`${where}: unknown key ${key} (ignored)`)
    values.set(key, value)
  })
  return values
}

/** One sh word: "double quoted" (with \ escapes and ${name}), 'single quoted', or bare; then an optional # comment. */
function parseValue(text: string, where: string, expand: (name: string) => string): string {
  let out = ''
  let i = 0
  const fail = (why: string): never => {
    throw new UsageError(`${where}: ${why}`)
  }
  const dollar = () => {
    const braced = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}/.exec(text.slice(i))
    const bare = /^\$([A-Za-z_][A-Za-z0-9_]*)/.exec(text.slice(i))
    const found = braced ?? bare
    if (!found) fail('only ${name} references are allowed after $ (tsez.conf is parsed, never executed)')
    out += expand(found![1]!)
    i += found![0].length
  }
  while (i < text.length) {
    const c = text[i]!
    if (c === '"') {
      i++
      while (i < text.length && text[i] !== '"') {
        const d = text[i]!
        if (d === '\\' && i + 1 < text.length && '$`"\\'.includes(text[i + 1]!)) {
          out += text[i + 1]
          i += 2
        } else if (d === '$') dollar()
        else if (d === '`') fail('command substitution is not allowed (tsez.conf is parsed, never executed)')
        else out += text[i++]
      }
      if (text[i] !== '"') fail('unterminated double quote')
      i++
    } else if (c === "'") {
      const end = text.indexOf("'", i + 1)
      if (end < 0) fail('unterminated single quote')
      out += text.slice(i + 1, end)
      i = end + 1
    } else if (c === ' ' || c === '\t') {
      const tail = text.slice(i).trim()
      if (tail !== '' && !tail.startsWith('#')) fail(`unexpected text after the value: ${tail}`)
      break
    } else if (c === '$') dollar()
    else if (c === '\\' && i + 1 < text.length) {
      out += text[i + 1]
      i += 2
    } else if ('`;&|<>()'.includes(c))
      fail(`shell syntax ${quote(c)} is not allowed (tsez.conf is parsed, never executed)`)
    else out += text[i++]
  }
  return out
}

function lookup(name: string, values: Map<string, string>, where: string): string {
  const value = values.get(name)
  if (value !== undefined) return value
  if (KNOWN.has(name)) return defaultValue(name, values)
  throw new UsageError(`${where}: \${${name}} refers to a key that is not set above it`)
}

function defaultValue(name: string, values: Map<string, string>): string {
  const template = DEFAULTS.find(([key]) => key === name)?.[1] ?? ''
  return template.replace(/\$\{([a-z_]+)\}/g, (_, ref: string) => values.get(ref) ?? defaultValue(ref, values))
}

/** Applies defaults, checks every value, and maps keys to the typed config. */
export function resolveConfig(values: Map<string, string>, file: string | undefined): TsezConfig {
  const get = (key: string) => values.get(key) ?? defaultValue(key, values)
  const where = file ?? 'defaults'
  for (const key of PATH_KEYS) {
    const value = get(key)
    if (!path.isAbsolute(value)) throw new UsageError(`${where}: ${key} must be an absolute path, got ${quote(value)}`)
    if (value.includes('\n')) throw new UsageError(`${where}: ${key} must not contain a newline`)
  }
  for (const key of JAIL_TREE_KEYS) {
    if (path.resolve(get(key)) === '/') {
      throw new UsageError(
        `${where}: ${key} must not be / (jail roots and the trees tsez replaces would be the host's own directories)`,
      )
    }
  }
  const ruleset = get('tsez_devfs_ruleset')
  if (!/^\d{1,5}$/.test(ruleset)) {
    throw new UsageError(`${where}: tsez_devfs_ruleset must be a number, got ${quote(ruleset)}`)
  }
  const clean = (p: string) => path.resolve(p)
  return {
    jaildir: clean(get('tsez_jaildir')),
    basejail: clean(get('tsez_basejail')),
    newjail: clean(get('tsez_newjail')),
    flavours: clean(get('tsez_flavours')),
    archives: clean(get('tsez_archives')),
    jailconfDir: clean(get('tsez_jailconf_dir')),
    fstabDir: clean(get('tsez_fstab_dir')),
    confdir: clean(get('tsez_confdir')),
    cachedir: clean(get('tsez_cachedir')),
    dbdir: clean(get('tsez_dbdir')),
    mirror: get('tsez_mirror'),
    sourcetree: clean(get('tsez_sourcetree')),
    defaultFlavours: get('tsez_default_flavour').split(/\s+/).filter(Boolean),
    execStart: get('tsez_exec_start'),
    execStop: get('tsez_exec_stop'),
    devfsRuleset: Number(ruleset),
    ...resolveFeatures(get, where),
    file,
  }
}

/** Base names of tsez's own directories under the jail directory: never valid jail names. */
export function reservedNames(config: TsezConfig): string[] {
  const own = [config.basejail, config.newjail, config.flavours, config.archives].map((p) => path.basename(p))
  return [...new Set(['basejail', 'newjail', 'flavours', 'tsez_archives', ...own])]
}
