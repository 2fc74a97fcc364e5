// tsez's note of a freebsd-update install under way (DBDIR/update-pending.json): what a half-done install is for.
import {readFile, rm} from 'node:fs/promises'
import path from 'node:path'

import type {TsezConfig} from '../config.js'
import {writeFileAtomic} from '../system/files.js'
import {freebsdUpdatePaths} from './freebsd-update.js'
import {hasHalfDoneInstall} from './update-state.js'

export interface PendingBaseStep {
  /** update -u or -U: the freebsd-update runs that end in the install loop. */
  action: 'patch' | 'upgrade'
  /** -U: the release the install brings. */
  targetRelease: string | null
  startedAt: string
}

export function pendingStepPath(config: TsezConfig): string {
  return path.join(config.dbdir, 'update-pending.json')
}

/** The note, or undefined when there is none (or it cannot be read: then nothing is known of the install). */
export async function readPendingStep(config: TsezConfig): Promise<PendingBaseStep | undefined> {
  const text = await readFile(pendingStepPath(config), 'utf8').catch(() => undefined)
  if (text === undefined) return undefined
  try {
    const note = JSON.parse(text) as Partial<PendingBaseStep>
    if (note.action !== 'patch' && note.action !== 'upgrade') return undefined
    return {action: note.action, targetRelease: note.targetRelease ?? null, startedAt: String(note.startedAt)}
  } catch {
    return undefined
  }
}

/** Written before the install loop begins; it stays exactly as long as the install can be half done. */
export async function writePendingStep(config: TsezConfig, step: PendingBaseStep): Promise<void> {
  await writeFileAtomic(pendingStepPath(config), JSON.stringify(step, null, 2) + '\n')
}

export async function clearPendingStep(config: TsezConfig): Promise<void> {
  await rm(pendingStepPath(config), {force: true})
}

/** How to finish STEP: the command that resumes it. */
export function finishCommand(step: Pick<PendingBaseStep, 'action' | 'targetRelease'>): string {
  return step.action === 'patch' ? 'tsez update -u' : `tsez update -U -r ${step.targetRelease ?? 'RELEASE'}`
}

/** One line for commands that start jails while an install is half done in the basejail, or undefined. */
export async function halfUpdatedBaseWarning(config: TsezConfig): Promise<string | undefined> {
  if (!(await hasHalfDoneInstall(freebsdUpdatePaths(config.dbdir).workdir, config.basejail))) return undefined
  const step = await readPendingStep(config)
  return (
    'the basejail is half updated (an install stopped half way): jails started now run on files of two versions; ' +
    `finish it with ${step ? finishCommand(step) : 'tsez update -u'}`
  )
}
