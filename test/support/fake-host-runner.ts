// Test support: the real command runner over a fake host's programs (test/fixtures/bin), recording every call, so a
// service's unit tests meet the one model of jail(8), jls, jexec and mount that the CLI tests and benches use.
import type {FakeHost} from '../fixtures/fake-host.js'
import {createRunner, throwingRun, type CommandRunner, type RunOptions} from '../../src/system/runner.js'

export interface FakeHostCall {
  file: string
  args: string[]
  /** The options the code under test passed (before the fake host's PATH and TSEZ_FAKE_HOST are added). */
  options: RunOptions
}

export function fakeHostRunner(host: FakeHost) {
  const real = createRunner()
  const calls: FakeHostCall[] = []
  const hostEnv = {PATH: host.env.PATH ?? '', TSEZ_FAKE_HOST: host.stateDir}
  const withHost = (options: RunOptions): RunOptions => ({...options, env: {...hostEnv, ...options.env}})
  let inFlight = 0
  let peak = 0

  const tryRun: CommandRunner['tryRun'] = async (file, args, options = {}) => {
    calls.push({file, args: [...args], options})
    peak = Math.max(peak, ++inFlight)
    try {
      return await real.tryRun(file, args, withHost(options))
    } finally {
      inFlight--
    }
  }

  const runner: CommandRunner = {
    tryRun,
    run: throwingRun(tryRun),
    stream(file, args, options = {}) {
      calls.push({file, args: [...args], options})
      return real.stream(file, args, withHost(options))
    },
  }

  return {
    runner,
    host,
    calls,
    /** Calls as `program arg…` lines, for exact sequence assertions. */
    lines: (program?: string) =>
      calls.filter((c) => !program || c.file === program).map((c) => [c.file, ...c.args].join(' ')),
    /** The most programs that ran at once. */
    peakParallel: () => peak,
  }
}
