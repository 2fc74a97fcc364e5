// A CommandRunner for unit tests: records every call and answers from a table of canned results.
import {ExternalCommandError, type CommandRunner, type RunResult} from '../../src/system/runner.js'

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
    async run(file, args) {
      const result = await tryRun(file, args)
      if (result.exitCode !== 0) throw new ExternalCommandError(file, args, result)
      return result
    },
    stream() {
      throw new Error('recordingRunner does not stream')
    },
  }
  return {runner, calls}
}
