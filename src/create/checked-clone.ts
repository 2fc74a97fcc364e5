// create on ZFS without waiting for zfs list: the snapshot the last create cloned is cloned while the list runs.
import {readFile} from 'node:fs/promises'
import path from 'node:path'

import type {TsezConfig} from '../config.js'
import {UsageError, describeError} from '../errors.js'
import {CREATE_MARK, destroyLeftoverClone} from '../jail/journal.js'
import type {Deps} from '../system/deps.js'
import {writeFileAtomic} from '../system/files.js'
import * as zfs from '../system/zfs.js'
import {cloneTemplate, showsCurrent, templateDataset, type ZfsCloneStep, type ZfsObservation} from './zfs.js'

/*
 * The record is a guess, never trusted: `zfs list` runs beside the clone and has the last word. When it shows the
 * newjail changed since the snapshot (or the snapshot is no longer its newest), the clone is destroyed (this
 * create made it: the clone succeeded, zfs clone never touches an existing dataset, and its mark is checked first)
 * and the create goes on as if the list had run first. The clone carries tsez:create=MARK, the mark the journal
 * names before it is made, so a create killed before the list's verdict leaves a dataset the next sweep knows as
 * its own, and only that one.
 */

/** The record of the newjail snapshot the last create cloned, in tsez_dbdir. */
export function snapshotRecordFile(config: TsezConfig): string {
  return path.join(config.dbdir, 'newjail-snapshot.json')
}

/** The recorded snapshot, when there is one and it is a tsez snapshot of the newjail (anything else: none). */
export async function readSnapshotRecord(config: TsezConfig): Promise<string | undefined> {
  const text = await readFile(snapshotRecordFile(config), 'utf8').catch(() => undefined)
  let parsed: unknown
  try {
    parsed = text === undefined ? undefined : JSON.parse(text)
  } catch {
    return undefined
  }
  const snapshot = (parsed as {version?: unknown; snapshot?: unknown} | undefined)?.snapshot
  const ours = `${templateDataset(config)}@tsez-`
  if ((parsed as {version?: unknown} | undefined)?.version !== 1 || typeof snapshot !== 'string') return undefined
  return snapshot.startsWith(ours) && /^[\w.:/-]+@[\w.:-]+$/.test(snapshot) ? snapshot : undefined
}

/** The step's snapshot (taken first when planned) cloned, once the list told which; then recorded for the next. */
export async function cloneListed(
  config: TsezConfig,
  step: ZfsCloneStep,
  recorded: string | undefined,
  deps: Deps,
): Promise<void> {
  await cloneTemplate(step, deps)
  if (step.snapshot === recorded) return
  try {
    await writeFileAtomic(snapshotRecordFile(config), JSON.stringify({version: 1, snapshot: step.snapshot}) + '\n')
  } catch (error) {
    deps.log.warn(`could not record the newjail snapshot (the next create lists first): ${describeError(error)}`)
  }
}

/**
 * Clones GUESSED (the recorded snapshot, not to be taken), then starts the list (LIST: the longer run first, the
 * list beside it; LIST may have started already) and returns the step whose clone exists.
 * When the list does not show the guess as the newjail as it is now, or the clone failed, REPLAN makes the step from
 * the list, or names the problems (a refusal, exit 2: the caller's undo removes only a dataset with this create's
 * mark, never the one in the way).
 */
export async function cloneGuessed(
  config: TsezConfig,
  guessed: ZfsCloneStep,
  list: () => Promise<ZfsObservation>,
  replan: (seen: ZfsObservation) => ZfsCloneStep | string[],
  deps: Deps,
): Promise<ZfsCloneStep> {
  const clone = zfs.cloneSnapshot(deps.run, guessed.snapshot, guessed.dataset, guessed.properties)
  const [cloned, seen] = await Promise.all([
    clone.then(
      () => true,
      () => false,
    ),
    list(),
  ])
  if (cloned && showsCurrent(config, seen, guessed.snapshot)) return guessed
  // The list ran beside the clone: it may show this create's own dataset, which is not in the way once destroyed
  // (by its mark: anything else under the name since is left, and in the way).
  const own = {path: guessed.dataset, kind: 'dataset' as const, mark: guessed.mark, markProperty: CREATE_MARK}
  const destroyed = cloned && (await destroyLeftoverClone(deps.run, own))
  const others = seen.names.filter((name) => name !== guessed.dataset)
  const step = replan(!cloned ? seen : {...seen, names: destroyed ? others : [...others, guessed.dataset]})
  if (Array.isArray(step)) throw new UsageError(step.join('; '))
  await cloneListed(config, step, guessed.snapshot, deps)
  return step
}
