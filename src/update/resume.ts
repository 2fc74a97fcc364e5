// What an interrupted update leaves the next one: freebsd-update's half-done install, the /etc merges of a complete
// upgrade, temp files and half-built tarballs; other updates are refused until the unfinished one is done.
import {readdir} from 'node:fs/promises'
import path from 'node:path'

import {finishCommand} from '../base/update-journal.js'
import type {TsezConfig} from '../config.js'
import {sweepPartials} from '../dist/cache-entry.js'
import {parseRelease} from '../dist/release.js'
import {UsageError} from '../errors.js'
import {removeOwnTree, sweepAtomicTemps} from '../system/files.js'
import type {CommandRunner} from '../system/runner.js'
import type {PlanFacts, PlanRequest} from './plan.js'

/**
 * `install`: an install stopped half way, which only the run that began it may finish. `merges`: an upgrade whose
 * install went through (the note stays until every /etc was merged) while tsez stopped before the merges did.
 */
export function unfinishedWork(
  request: Pick<PlanRequest, 'action' | 'release'>,
  facts: Pick<PlanFacts, 'halfDoneInstall' | 'pendingStep' | 'versionBefore'>,
): 'install' | 'merges' | undefined {
  const upgrade = request.action === 'upgrade'
  const note = facts.pendingStep
  if (facts.halfDoneInstall) {
    if (request.action === 'rollback') {
      throw new UsageError(
        'an install an earlier run began is still half done in the basejail: freebsd-update rollback would drop it and ' +
          `undo the update before it; finish it first with ${note ? finishCommand(note) : 'tsez update -u (or -U -r RELEASE)'}, then roll back`,
      )
    }
    if (!upgrade && request.action !== 'patch') return undefined
    if (note && (note.action !== request.action || (upgrade && note.targetRelease !== request.release?.name))) {
      const what = note.action === 'patch' ? 'a patch' : `an upgrade to ${note.targetRelease ?? 'another release'}`
      throw new UsageError(
        `${what} is half installed in the basejail and only its own install can finish it: run ${finishCommand(note)} first`,
      )
    }
    return 'install'
  }
  if (note?.action !== 'upgrade' || !runsRelease(facts.versionBefore, note.targetRelease)) return undefined
  if (upgrade && request.release?.name === note.targetRelease) return 'merges'
  throw new UsageError(
    `the upgrade to ${note.targetRelease} is installed in the basejail, but an earlier run stopped before every ` +
      `jail's /etc was merged: run ${finishCommand(note)} first`,
  )
}

function runsRelease(version: string, release: string | null): boolean {
  try {
    return parseRelease(version).name === release
  } catch {
    return false
  }
}

/**
 * Removes what a killed update left under the host lock: writeFileAtomic's temp files in the dbdir and in the set
 * cache (a MANIFEST kept), partial downloads, and the half-built stock /etc trees (`.build-*`) beside the tarballs:
 * flags cleared first, as pkg sets them in a pkgbase one.
 */
export async function sweepUpdateLeftovers(config: TsezConfig, run: CommandRunner): Promise<void> {
  await sweepAtomicTemps(config.dbdir)
  for (const release of await readdir(config.cachedir).catch(() => [] as string[])) {
    for (const platform of await readdir(path.join(config.cachedir, release)).catch(() => [] as string[])) {
      await sweepAtomicTemps(path.join(config.cachedir, release, platform))
      await sweepPartials(path.join(config.cachedir, release, platform))
    }
  }
  const tarballs = path.join(config.dbdir, 'etcupdate')
  for (const name of await readdir(tarballs).catch(() => [] as string[])) {
    if (name.startsWith('.build-')) await removeOwnTree(run, path.join(tarballs, name))
  }
}
