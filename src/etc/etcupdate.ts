// etcupdate against one jail root: the exact argv, bootstrap of its state, and the conflicts it reports.
import path from 'node:path'

import type {TsezConfig} from '../config.js'
import {OperationError} from '../errors.js'
import {pathExists} from '../system/files.js'
import {outputTail, type CommandRunner, type RunResult} from '../system/runner.js'

/** etcupdate keeps its trees in DESTDIR/var/db/etcupdate; `current` is the stock tree the jail's /etc came from. */
export function etcStateDir(root: string): string {
  return path.join(root, 'var/db/etcupdate')
}

/** The cached stock /etc of RELEASE (built by etc-tarball.ts): what `etcupdate -t` takes. */
export function etcTarballPath(config: TsezConfig, release: string): string {
  return path.join(config.dbdir, 'etcupdate', `etc-${release}.tbz`)
}

export async function hasEtcState(root: string): Promise<boolean> {
  return pathExists(path.join(etcStateDir(root), 'current'))
}

export function etcExtractArgv(root: string, tarball: string): string[] {
  return ['extract', '-D', root, '-t', tarball]
}

export function etcMergeArgv(root: string, tarball: string): string[] {
  return ['-D', root, '-t', tarball]
}

/** The files etcupdate left in conflict: its output lines `  C /path` (etcupdate.sh merge_file, new_conflict). */
export function parseConflicts(output: string): string[] {
  return output
    .split('\n')
    .map((line) => /^ {2}C (\S.*)$/.exec(line)?.[1])
    .filter((file): file is string => file !== undefined)
}

/** `etcupdate extract -D ROOT -t TARBALL`: records the stock tree the jail's /etc matches (no file of /etc changes). */
export async function extractEtcState(run: CommandRunner, root: string, tarball: string): Promise<void> {
  const result = await run.tryRun('etcupdate', etcExtractArgv(root, tarball))
  if (result.exitCode !== 0) throw etcupdateFailure(`extract -D ${root}`, result)
}

export interface MergeOutcome {
  conflicts: string[]
  /** Why etcupdate failed (it also fails when conflicts of an earlier run are still unresolved), or null. */
  error: string | null
}

/**
 * `etcupdate -D ROOT -t TARBALL`: three-way merge of the jail's /etc. New conflicts (exit 0, `  C` lines) are left
 * in WORKDIR/conflicts for `etcupdate resolve`; the conflicted files themselves are not changed.
 */
export async function mergeEtc(run: CommandRunner, root: string, tarball: string): Promise<MergeOutcome> {
  const result = await run.tryRun('etcupdate', etcMergeArgv(root, tarball))
  const conflicts = parseConflicts(result.stdout)
  return {conflicts, error: result.exitCode === 0 ? null : etcupdateFailure(`-D ${root}`, result).message}
}

function etcupdateFailure(what: string, result: RunResult): OperationError {
  const output = outputTail(result, 3)
  return new OperationError(`etcupdate ${what} failed (exit ${result.exitCode}): ${output || 'no output'}`)
}
