// Test support: tsez as a child process with test/hostile/kill-at-step.ts preloaded, SIGKILLed before its Nth change.
import assert from 'node:assert/strict'
import path from 'node:path'

import {packageRoot, spawnNode, type CliResult} from './cli.js'

const KILL_AT = path.join(packageRoot, 'test/hostile/kill-at-step.ts')

export interface KillScope {
  /** The environment of the test host (fake programs, TSEZ_CONFIG...). */
  env: NodeJS.ProcessEnv
  /** Only changes to paths under this directory are counted. */
  under: string
  /** Count node:fs's synchronous changes too (TSEZ_TEST_KILL_SYNC). */
  sync?: boolean
}

export interface KilledRun extends CliResult {
  /** The changes the run made, as kill-at-step reports on a normal exit; NaN when it was killed. */
  changes: number
}

/** A step past any command's changes: the run goes through and reports its count. */
export const NEVER = 1_000_000

/** Runs `tsez ARGS` killed before its STEPth change under SCOPE.under; exit code 128 when it was killed. */
export async function killedAtStep(args: string[], step: number, scope: KillScope): Promise<KilledRun> {
  const argv = ['--import', 'tsx', '--import', KILL_AT, path.join(packageRoot, 'bin/dev.js'), ...args]
  const result = await spawnNode(argv, {
    ...scope.env,
    NODE_ENV: 'development',
    TSEZ_TEST_KILL_AT_STEP: String(step),
    TSEZ_TEST_KILL_UNDER: scope.under,
    ...(scope.sync === true ? {TSEZ_TEST_KILL_SYNC: '1'} : {}),
  }).done
  return {...result, changes: Number(/kill-at-step: (\d+) changes/.exec(result.stderr)?.[1])}
}

/** False when RESULT was killed, true when it ran through (then it must have succeeded). */
export function ranThrough(result: CliResult): boolean {
  if (result.exitCode === 128) return false
  assert.equal(result.exitCode, 0, result.stderr)
  return true
}
