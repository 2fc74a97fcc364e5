// First-start scripts from flavours: run once inside the freshly started jail, in name order, removed on success.
import {lstat, readdir} from 'node:fs/promises'
import path from 'node:path'

import {FIRSTBOOT_DIR} from '../jail/store.js'
import type {CommandRunner} from '../system/runner.js'

/** Inside the jail: where pending scripts live (absolute, as the jail sees it). */
export const FIRSTBOOT_JAIL_DIR = `/${FIRSTBOOT_DIR}`

export function firstbootRunArgv(name: string, script: string): string[] {
  return ['-l', name, '/bin/sh', `${FIRSTBOOT_JAIL_DIR}/${script}`]
}

/** Removal runs inside the jail, so a symlink planted in the jail's tree can never point it at a host file. */
export function firstbootRemoveArgv(name: string, script: string): string[] {
  return ['-l', name, '/bin/rm', '-f', '--', `${FIRSTBOOT_JAIL_DIR}/${script}`]
}

/**
 * The pending scripts under ROOT, sorted by name: regular files only, and only when every directory on the
 * way (var, var/db, var/db/tsez, firstboot) is a real directory, not a symlink the jail could have planted.
 */
export async function pendingFirstbootScripts(root: string): Promise<string[]> {
  let dir = root
  for (const part of FIRSTBOOT_DIR.split('/')) {
    dir = path.join(dir, part)
    const stats = await lstat(dir).catch(() => undefined)
    if (stats === undefined || !stats.isDirectory()) return []
  }
  const names = (await readdir(dir)).filter((entry) => !entry.startsWith('.'))
  const files: string[] = []
  for (const entry of names.sort()) {
    if ((await lstat(path.join(dir, entry))).isFile()) files.push(entry)
  }
  return files
}

export interface FirstbootOutcome {
  ran: string[]
  /** The script that failed, with its exit status and output; the remaining scripts did not run. */
  failed?: {script: string; exitCode: number; output: string}
}

/** Runs SCRIPTS one after the other inside jail NAME; stops at the first failure, which stays for a retry. */
export async function runFirstbootScripts(
  run: CommandRunner,
  name: string,
  scripts: readonly string[],
): Promise<FirstbootOutcome> {
  const ran: string[] = []
  for (const script of scripts) {
    const result = await run.tryRun('jexec', firstbootRunArgv(name, script))
    if (result.exitCode !== 0) {
      return {ran, failed: {script, exitCode: result.exitCode, output: combined(result.stdout, result.stderr)}}
    }
    const removed = await run.tryRun('jexec', firstbootRemoveArgv(name, script))
    if (removed.exitCode !== 0) {
      const output = combined(removed.stdout, removed.stderr)
      return {ran, failed: {script, exitCode: removed.exitCode, output: `ran, but could not be removed: ${output}`}}
    }
    ran.push(script)
  }
  return {ran}
}

function combined(stdout: string, stderr: string): string {
  return [stdout.trimEnd(), stderr.trimEnd()].filter((text) => text !== '').join('\n')
}
