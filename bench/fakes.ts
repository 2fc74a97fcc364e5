// The benches' fakes: test/fixtures/bin's jail and etcupdate in their lean mode, and a bare node pool as the floor.
import {fileURLToPath} from 'node:url'

import {measure} from './measure.js'

const BARE_POOL = fileURLToPath(new URL('./bare-pool.js', import.meta.url))

/**
 * ENV with the test fakes of jail and etcupdate in lean mode (TSEZ_FAKE_LEAN, test/fixtures/bin/lib/common.sh):
 * they only log their argv and sleep for their PROGRAM.sleep knob, so a bench times tsez, not the fakes' own CPU.
 */
export function withLeanFakes(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return {...env, TSEZ_FAKE_LEAN: 'jail etcupdate'}
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
