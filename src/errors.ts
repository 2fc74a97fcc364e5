// tsez's error hierarchy: every failure a user sees is one of these, each mapped to a documented exit code.

/** Exit codes are a contract: 0 success, 1 the operation failed, 2 bad usage or invalid input (nothing changed). */
export const EXIT = {ok: 0, failed: 1, usage: 2} as const
export type ExitCode = (typeof EXIT)[keyof typeof EXIT]

export class TsezError extends Error {
  readonly exitCode: ExitCode
  /** oclif reads `oclif.exit`; --json mode reads `exitCode`. Both are set so the code never depends on the mode. */
  readonly oclif: {exit: ExitCode}
  readonly suggestions: string[]

  constructor(message: string, options: {exitCode: ExitCode; suggestions?: string[]; cause?: unknown}) {
    super(message, {cause: options.cause})
    this.name = new.target.name
    this.exitCode = options.exitCode
    this.oclif = {exit: options.exitCode}
    this.suggestions = options.suggestions ?? []
  }
}

/** Bad input: a flag, argument or configuration value. Nothing was changed. Exit 2. */
export class UsageError extends TsezError {
  constructor(message: string, suggestions?: string[]) {
    super(message, {exitCode: EXIT.usage, suggestions})
  }
}

/** The operation was valid but failed (download, verification, a program, the filesystem). Exit 1. */
export class OperationError extends TsezError {
  constructor(message: string, options: {suggestions?: string[]; cause?: unknown} = {}) {
    super(message, {exitCode: EXIT.failed, ...options})
  }
}

/** Renders any thrown value as the one line a user sees. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message.split('\n')[0] ?? error.message
  return String(error)
}

/**
 * A user's value as a message shows it: double-quoted, so that an empty value shows, and escaped, so that no
 * control character, line separator, bidirectional override or other invisible character reaches a terminal
 * raw (JSON's escapes, then `\uXXXX` for what JSON leaves as it is: DEL, C1 controls, format characters...).
 */
export function quote(value: string): string {
  return JSON.stringify(value).replace(/[\p{C}\p{Zl}\p{Zp}]/gu, (char) => {
    const code = char.codePointAt(0) ?? 0
    return code > 0xffff ? `\\u{${code.toString(16)}}` : `\\u${code.toString(16).padStart(4, '0')}`
  })
}

/** VALUE as it is when it is a plain word (ASCII letters, digits and `_ . / : @ , + = -`), else quote(VALUE). */
export function quoteUnlessPlain(value: string): string {
  return /^[\w./:@,+=-]+$/.test(value) ? value : quote(value)
}
