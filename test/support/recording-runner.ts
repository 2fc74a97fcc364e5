// A CommandRunner for unit tests: records every call and answers from a table of canned results.
import {throwingRun, type CommandRunner, type RunResult} from '../../src/system/runner.js'

export interface RecordedCall {
  file: string
  args: readonly string[]
}

export function recordingRunner(answer: (call: RecordedCall) => Partial<RunResult> = () => ({})) {
  const calls: RecordedCall[] = []
  const tryRun = (file: string, args: readonly string[]): Promise<RunResult> => {
    calls.push({file, args})
    return Promise.resolve({exitCode: 0, stdout: '', stderr: '', ...answer({file, args})})
  }
  const runner: CommandRunner = {
    tryRun,
    run: throwingRun(tryRun),
    stream() {
      throw new Error('recordingRunner does not stream')
    },
  }
  return {runner, calls}
}
