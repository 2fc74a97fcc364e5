// What start/stop/restart print: one result line per jail on stdout, a failing program's output on stderr.
import type {RunResult} from './service.js'

export interface RenderedRun {
  stdout: string[]
  stderr: string[]
}

/** Pure: the lines for RESULT. A failed jail's captured output follows on stderr, indented, under its name. */
export function renderRunResult(result: RunResult): RenderedRun {
  if (result.dryRun) return {stdout: result.plan, stderr: []}
  const stdout: string[] = []
  const stderr: string[] = []
  if (result.jails.length === 0) stdout.push(`no jails to ${result.action}`)
  for (const jail of result.jails) {
    const time = jail.ok && !jail.noop ? ` (${(jail.durationMs / 1000).toFixed(1)} s)` : ''
    const scripts = jail.firstboot.length > 0 ? `, first-start scripts ${jail.firstboot.join(', ')}` : ''
    stdout.push(`${jail.name}: ${jail.ok ? '' : 'FAILED: '}${jail.message}${scripts}${time}`)
    if (jail.output !== null) {
      stderr.push(`--- output of ${jail.name}:`, ...jail.output.split('\n').map((line) => `  ${line}`))
    }
  }
  return {stdout, stderr}
}
