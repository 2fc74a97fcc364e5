// The start of a plain command run (`tsez start web1`): its class loaded from the manifest and run on a Config
// read from package.json alone, without oclif's Config.load. Help, --version and unknown words go to oclif.
import {Config} from '@oclif/core/config'
import {flush} from '@oclif/core/flush'
import {handle} from '@oclif/core/handle'
import type * as Interfaces from '@oclif/core/interfaces'
import {readFileSync} from 'node:fs'
import {arch, homedir} from 'node:os'
import path from 'node:path'
import {pathToFileURL} from 'node:url'

/** What the direct start reads of oclif.manifest.json: each command's id and compiled file. */
interface ManifestCommands {
  commands: Record<string, {relativePath?: string[]}>
}

/** A command class as oclif's Command.run uses it: `_run` is init, parse, run, catch, finally and --json output. */
interface CommandClass {
  id: string
  new (argv: string[], config: Config): {_run(): Promise<unknown>}
}

/** A command the direct start can run: its id, compiled file and own arguments. */
export interface DirectCommand {
  id: string
  file: string
  argv: string[]
}

/**
 * The command ARGS name, when the direct start gives the same run as oclif's: the first words are a command id of
 * the manifest (`import ezjail` is `import:ezjail`), no --help before `--`, and package.json declares no hook but
 * command_not_found (which only an unknown command reaches). Undefined otherwise: oclif starts the run.
 */
export function directCommand(
  args: readonly string[],
  pjson: Interfaces.PJSON,
  manifest: ManifestCommands,
  root: string,
): DirectCommand | undefined {
  const oclif = pjson.oclif
  const hooks = Object.keys(oclif.hooks ?? {})
  if (hooks.some((hook) => hook !== 'command_not_found') || oclif.topicSeparator !== ' ') return undefined
  const helpFlags = ['--help', ...(oclif.additionalHelpFlags ?? [])]
  const ownArgs = args.includes('--') ? args.slice(0, args.indexOf('--')) : args
  if (ownArgs.some((arg) => helpFlags.includes(arg))) return undefined
  const [first, second] = args
  if (first === undefined || !/^[a-z_][a-z0-9_-]*$/.test(first)) return undefined
  const candidates: [string, number][] = [[first, 1]]
  if (second !== undefined && /^[a-z][a-z0-9-]*$/.test(second)) candidates.unshift([`${first}:${second}`, 2])
  for (const [id, words] of candidates) {
    const relativePath = Object.hasOwn(manifest.commands, id) ? manifest.commands[id]?.relativePath : undefined
    if (relativePath === undefined || relativePath.length === 0) continue
    return {id, file: path.join(root, ...relativePath), argv: args.slice(words)}
  }
  return undefined
}

/**
 * The oclif Config a command run needs, from package.json: name, version, bin, user agent, root; no plugins and
 * so no hooks (directCommand checked there are none a command run would call).
 */
class CommandConfig extends Config {
  constructor(root: string, pjson: Interfaces.PJSON) {
    super({root})
    this.root = root
    this.pjson = pjson
    this.name = pjson.name
    this.version = pjson.version
    this.bin = pjson.oclif.bin ?? pjson.name
    this.dirname = pjson.oclif.dirname ?? pjson.name
    this.topicSeparator = ' '
    this.arch = (arch() === 'ia32' ? 'x86' : arch()) as Interfaces.ArchTypes
    this.platform = process.platform
    this.windows = false
    this.home = process.env.HOME || homedir()
    this.userAgent = `${this.name}/${this.version} ${this.platform}-${this.arch} node-${process.version}`
  }

  // eslint-disable-next-line @typescript-eslint/require-await -- the signature of the method it replaces
  override async runHook<T extends keyof Interfaces.Hooks, P extends Interfaces.Hooks = Interfaces.Hooks>(): Promise<
    Interfaces.Hook.Result<P[T]['return']>
  > {
    return {failures: [], successes: []}
  }
}

/**
 * Runs ARGS directly when directCommand names a command, as oclif's execute would: the command's output, its
 * error through oclif's handler (exit status included). False, having done nothing, when oclif must start it.
 */
export async function runDirect(args: readonly string[], root: string): Promise<boolean> {
  let pjson: Interfaces.PJSON
  let manifest: ManifestCommands
  try {
    pjson = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as Interfaces.PJSON
    manifest = JSON.parse(readFileSync(path.join(root, 'oclif.manifest.json'), 'utf8')) as ManifestCommands
  } catch {
    return false
  }
  const direct = directCommand(args, pjson, manifest, root)
  if (direct === undefined) return false
  try {
    const loaded = (await import(pathToFileURL(direct.file).href)) as {default: CommandClass}
    const Class = loaded.default
    Class.id = direct.id
    await new Class(direct.argv, new CommandConfig(root, pjson))._run()
    await flush()
  } catch (error) {
    await handle(error instanceof Error ? error : new Error(String(error)))
  }
  return true
}
