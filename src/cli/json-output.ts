// The --json contract of every command: `version` first at the top level; a failure as {version, error: {...}}.

/** Bumped when a command's --json output changes in a way a consumer could notice (schema/*.json). */
export const JSON_OUTPUT_VERSION = 1

/** What kind of failure: bad usage or input (nothing changed, exit 2), or an operation that failed (exit 1). */
export type ErrorCode = 'usage' | 'failed'

export interface JsonErrorOutput {
  version: typeof JSON_OUTPUT_VERSION
  error: {code: ErrorCode; message: string; exitCode: number}
}

/** RESULT with the contract's version as its first key. */
export function versioned(result: unknown): unknown {
  if (result === null || typeof result !== 'object' || Array.isArray(result)) return {version: JSON_OUTPUT_VERSION}
  return {version: JSON_OUTPUT_VERSION, ...result}
}

/** The --json form of a failure with MESSAGE and exit status EXIT. */
export function errorOutput(message: string, exit: number): JsonErrorOutput {
  return {version: JSON_OUTPUT_VERSION, error: {code: exit === 2 ? 'usage' : 'failed', message, exitCode: exit}}
}
