// The benches' lean stand-ins (bench/fakes: jail, etcupdate) first on PATH, ahead of the test fakes.
import {fileURLToPath} from 'node:url'

import {measure} from './measure.js'

export const LEAN_FAKES_DIR = fileURLToPath(new URL('./fakes', import.meta.url))
const BARE_POOL = fileURLToPath(new URL('./bare-pool.js', import.meta.url))

/** ENV with the lean fakes first on PATH: they only log their argv and sleep for their PROGRAM.sleep knob. */
export function withLeanFakes(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return {...env, PATH: `${LEAN_FAKES_DIR}:${env.PATH ?? ''}`}
}

/**
 * The floor for running COMMANDS from node, PARALLEL at a time, with nothing of tsez: a pool of
 * child_process.spawn calls in a fresh node process (as small as node gets: forking a bigger one, such as
 * this bench under tsx, costs more per program). Returns the pool's own seconds, without node's start-up.
 */
export async function barePool(
  commands: Array<[string, ...string[]]>,
  parallel: number,
  env: NodeJS.ProcessEnv,
): Promise<number> {
  const argv = [process.execPath, BARE_POOL, JSON.stringify({commands, parallel})]
  return Number((await measure(argv, {env})).stdout)
}
