// tsez doctor's text output: what --fix changed, then one line per check, `status  what  (how to fix)`.
import type {CheckResult} from './checks.js'
import type {DoctorResult} from './service.js'

export function renderCheck(check: CheckResult): string {
  return `${check.status.padEnd(4)}  ${check.what}${check.fix === undefined ? '' : `  (${check.fix})`}`
}

export function renderDoctor(result: DoctorResult): string {
  const changed = (result.changed ?? []).map((line) => `changed: ${line}`)
  return [...changed, ...result.checks.map(renderCheck)].map((line) => `${line}\n`).join('')
}
