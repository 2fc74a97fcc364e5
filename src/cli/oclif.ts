// What bin/run.js takes from the release bundle: a plain command started directly, anything else by oclif.
import {execute as executeWithOclif} from '@oclif/core'

export {executeWithOclif}
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {runDirect} from './direct-run.js'

/** Runs tsez with ARGS (default the process's); DIR is bin/run.js's URL, in the package's bin/. */
export async function execute(options: {dir: string; args?: string[]}): Promise<unknown> {
  const args = options.args ?? process.argv.slice(2)
  const root = path.dirname(path.dirname(fileURLToPath(options.dir)))
  if (await runDirect(args, root)) return undefined
  return executeWithOclif({...options, args})
}
