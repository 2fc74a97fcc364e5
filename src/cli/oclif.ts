// What bin/run.js takes from the release bundle: a plain command started directly, anything else by oclif.
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {runDirect} from './direct-run.js'

/** oclif's own start (help, --version, unknown words, topics), loaded only when a run needs it. */
export async function executeWithOclif(options: {dir: string; args?: string[]}): Promise<unknown> {
  // A CommonJS module: its exports are the default export, the same under Node.js and in the bundle's chunk.
  const {default: oclif} = await import('@oclif/core/execute')
  return oclif.execute(options)
}

/** Runs tsez with ARGS (default the process's); DIR is bin/run.js's URL, in the package's bin/. */
export async function execute(options: {dir: string; args?: string[]}): Promise<unknown> {
  const args = options.args ?? process.argv.slice(2)
  const root = path.dirname(path.dirname(fileURLToPath(options.dir)))
  if (await runDirect(args, root)) return undefined
  return executeWithOclif({...options, args})
}
