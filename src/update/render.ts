// The human report of tsez update on stdout: the base before → after, then one line per jail with news.
import {describeOutcome} from './jails.js'
import {upToDateNote} from './plan.js'
import type {UpdateResult} from './service.js'

export function renderUpdate(result: UpdateResult): string[] {
  if (result.dryRun) return result.plan
  if (result.upToDate) {
    const why =
      result.action === 'upgrade'
        ? upToDateNote(result.versionBefore)
        : `${result.versionBefore} is up to date: freebsd-update fetch found no updates`
    return [`basejail ${result.basejail}: ${why}`]
  }
  const after = result.versionAfter ?? 'unknown'
  // freebsd-update installed files that left the userland version as it was (a kernel-only patch, for one).
  const change =
    after === result.versionBefore
      ? `updates installed; its userland version is still ${after}`
      : `${result.versionBefore} -> ${after}`
  const lines = [`basejail ${result.basejail}: ${change}`]
  if (result.snapshot) lines.push(`snapshot ${result.snapshot}`)
  lines.push(...result.notes)
  for (const outcome of [...result.jails, ...(result.newjail ? [result.newjail] : [])]) {
    if (result.etcMerged || !outcome.ok || outcome.needsRestart || outcome.restarted)
      lines.push(describeOutcome(outcome))
  }
  if (result.attention) lines.push('some jails need attention (see above); the others were updated')
  return lines
}
