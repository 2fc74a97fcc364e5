// The guard before any change to a base tree: a raised kern.securelevel forbids changing system files (exit 2: refused).
import {UsageError} from '../errors.js'
import type {CommandRunner} from '../system/runner.js'

/**
 * Refuses before anything runs when `sysctl -n kern.securelevel` is above 0 (freebsd-update install needs <= 0);
 * `consequence` says what that means for the command at hand. An unreadable securelevel is not a refusal.
 */
export async function refuseRaisedSecurelevel(run: CommandRunner, consequence: string): Promise<void> {
  const result = await run.tryRun('sysctl', ['-n', 'kern.securelevel'])
  const level = Number(result.stdout.trim())
  if (result.exitCode === 0 && level > 0) throw new UsageError(`kern.securelevel is ${level}: ${consequence}`)
}
