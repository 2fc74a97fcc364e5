// The one place a failure is shown: one `tsez: ` line on stderr, or under --json the JSON error object on stdout.
import {EXIT, TsezError, describeError} from '../errors.js'
import {errorOutput} from './json-output.js'

/** Shows ERROR to the user (JSON when JSON is set) and returns its exit code. */
export function reportError(error: Error, json: boolean): number {
  const exit =
    error instanceof TsezError ? error.exitCode : ((error as {oclif?: {exit?: number}}).oclif?.exit ?? EXIT.failed)
  const message = describeError(error)
  if (json) process.stdout.write(`${JSON.stringify(errorOutput(message, exit), null, 2)}\n`)
  else process.stderr.write(`tsez: ${message}\n`)
  return exit
}
