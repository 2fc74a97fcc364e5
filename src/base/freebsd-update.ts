// freebsd-update against the basejail: tsez's private conf, the exact argv, and the install loop.
import {readFile} from 'node:fs/promises'
import path from 'node:path'

import {OperationError} from '../errors.js'
import {outputTail, type CommandRunner, type RunResult} from '../system/runner.js'

/** The FreeBSD project's update signing key, as in the stock /etc/freebsd-update.conf. */
const KEY_PRINT = '800651ef4b4c71c27e60786d7b487188970f4b4169cc055784e21eb71d410cc5'

export interface FreebsdUpdatePaths {
  conf: string
  workdir: string
}

export function freebsdUpdatePaths(dbdir: string): FreebsdUpdatePaths {
  return {conf: path.join(dbdir, 'freebsd-update.conf'), workdir: path.join(dbdir, 'freebsd-update')}
}

/** tsez's own freebsd-update.conf: world (and src when installed) only, no boot environments, no kernel backup. */
export function renderFreebsdUpdateConf(options: {src: boolean; workdir: string}): string {
  return [
    '# freebsd-update.conf for the tsez basejail. Written by tsez: edits are overwritten.',
    `KeyPrint ${KEY_PRINT}`,
    'ServerName update.FreeBSD.org',
    `Components world${options.src ? ' src' : ''}`,
    'IgnorePaths',
    'IDSIgnorePaths /usr/share/man/cat',
    'IDSIgnorePaths /usr/share/man/whatis',
    'IDSIgnorePaths /var/db/locate.database',
    'IDSIgnorePaths /var/log',
    'UpdateIfUnmodified /etc/ /var/ /root/ /.cshrc /.profile',
    'MergeChanges /etc/ /boot/device.hints',
    'StrictComponents yes',
    'CreateBootEnv no',
    'BackupKernel no',
    `WorkDir ${options.workdir}`,
    '',
  ].join('\n')
}

/** USERLAND_VERSION from ROOT/bin/freebsd-version, read without running anything (freebsd.md §7.2). */
export async function readUserlandVersion(root: string): Promise<string> {
  const file = path.join(root, 'bin/freebsd-version')
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch {
    throw new OperationError(`cannot read ${file}: is the basejail installed?`)
  }
  const match = /^USERLAND_VERSION="([^"\n]+)"/m.exec(text)
  if (!match?.[1]) throw new OperationError(`${file} has no USERLAND_VERSION line`)
  return match[1]
}

export interface FreebsdUpdateCall {
  argv: string[]
  env: Record<string, string>
}

/** `PAGER=cat freebsd-update -b BASE -d WORKDIR -f CONF --currently-running VERSION --not-running-from-cron ...` */
export function freebsdUpdateCall(
  base: string,
  paths: FreebsdUpdatePaths,
  version: string,
  command: string[],
): FreebsdUpdateCall {
  return {
    argv: [
      '-b',
      base,
      '-d',
      paths.workdir,
      '-f',
      paths.conf,
      '--currently-running',
      version,
      '--not-running-from-cron',
      ...command,
    ],
    env: {PAGER: 'cat'},
  }
}

/**
 * `fetch` found nothing to install: freebsd-update.sh (fetch_create_manifest) prints "No updates needed to update
 * system to RELNUM-pN." and exits 0, and drops any install it had prepared.
 */
export function noUpdatesNeeded(fetchOutput: string): boolean {
  return /^No updates needed to update system to /m.test(fetchOutput)
}

const MAX_INSTALL_ROUNDS = 10

/** Runs fetch (or upgrade), then `install` until it exits 2 (nothing left); exit 1 anywhere is a failure. */
export async function fetchAndInstall(
  run: CommandRunner,
  env: NodeJS.ProcessEnv,
  base: string,
  paths: FreebsdUpdatePaths,
  version: string,
  first: string[],
): Promise<{installRounds: number}> {
  const invoke = async (command: string[]) => {
    const call = freebsdUpdateCall(base, paths, version, command)
    return run.tryRun('freebsd-update', call.argv, {env: {...stringEnv(env), ...call.env}})
  }
  const fetched = await invoke(first)
  if (fetched.exitCode !== 0) throw updateFailure(first.join(' '), fetched)
  const installRounds = await installUntilDone(
    () => invoke(['install']),
    (_round, reason) => (typeof reason === 'string' ? new OperationError(reason) : updateFailure('install', reason)),
  )
  return {installRounds}
}

/**
 * `install` until it exits 2 (nothing left); 0 means a phase went in (kernel, world, old libraries). Returns the
 * rounds installed. A round that fails, or more still to install after MAX_INSTALL_ROUNDS, throws FAIL's error
 * (REASON: the failed round's result, or why the loop gave up).
 */
export async function installUntilDone(
  install: (round: number) => Promise<RunResult>,
  fail: (round: number, reason: RunResult | string) => Error,
): Promise<number> {
  for (let round = 1; round <= MAX_INSTALL_ROUNDS; round++) {
    const result = await install(round)
    if (result.exitCode === 2) return round - 1
    if (result.exitCode !== 0) throw fail(round, result)
  }
  throw fail(MAX_INSTALL_ROUNDS, `freebsd-update install did not finish after ${MAX_INSTALL_ROUNDS} rounds`)
}

function updateFailure(command: string, result: RunResult): OperationError {
  const output = outputTail(result, 5)
  return new OperationError(`freebsd-update ${command} failed (exit ${result.exitCode}): ${output || 'no output'}`)
}

export function stringEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined))
}
