// The host-wide lock mutating commands hold: an O_EXCL lock file naming its holder, taken over only from the dead.
import {mkdir, open, readFile, rm, stat} from 'node:fs/promises'
import path from 'node:path'

import {OperationError} from '../errors.js'

export interface LockHolder {
  pid: number
  command: string
  since: string
}

export interface HostLock {
  release(): Promise<void>
}

export interface AcquireOptions {
  dbdir: string
  command: string
  /** How long to wait for another tsez to finish before giving up (ms). */
  waitMs: number
  now: () => Date
}

/** The lock a service holds while it changes the host; --dry-run changes nothing, not even the lock file. */
export async function lockHost(
  dbdir: string,
  deps: {clock: {now(): Date}},
  command: string,
  options: {waitMs: number; dryRun?: boolean},
): Promise<HostLock> {
  if (options.dryRun) return {release: () => Promise.resolve()}
  return acquireHostLock({dbdir, command, waitMs: options.waitMs, now: () => deps.clock.now()})
}

export async function acquireHostLock(options: AcquireOptions): Promise<HostLock> {
  const file = path.join(options.dbdir, 'lock')
  await mkdir(options.dbdir, {recursive: true, mode: 0o700})
  const deadline = Date.now() + options.waitMs
  const me: LockHolder = {pid: process.pid, command: options.command, since: options.now().toISOString()}
  for (;;) {
    try {
      const handle = await open(file, 'wx', 0o600)
      await handle.writeFile(JSON.stringify(me) + '\n')
      await handle.close()
      return {release: () => releaseIfMine(file)}
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    }
    const holder = await readHolder(file)
    if (holder ? !isAlive(holder.pid) : await unreadableFor(file, 5000)) {
      // The holder died (SIGKILL, power loss), or was killed before it wrote its name: the lock is stale.
      await rm(file, {force: true})
      continue
    }
    if (Date.now() >= deadline) {
      const who = holder ? `tsez ${holder.command} (pid ${holder.pid}, since ${holder.since})` : 'another tsez'
      throw new OperationError(`${who} holds the host lock ${file}; try again when it has finished`)
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

async function readHolder(file: string): Promise<LockHolder | undefined> {
  try {
    const parsed = JSON.parse(await readFile(file, 'utf8')) as Partial<LockHolder>
    if (typeof parsed.pid === 'number')
      return {pid: parsed.pid, command: String(parsed.command), since: String(parsed.since)}
  } catch {
    // Being written right now, or garbage: treat as held by an unknown, live holder until the deadline.
  }
  return undefined
}

async function unreadableFor(file: string, ms: number): Promise<boolean> {
  const info = await stat(file).catch(() => undefined)
  return info !== undefined && Date.now() - info.mtimeMs > ms
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

async function releaseIfMine(file: string): Promise<void> {
  const holder = await readHolder(file)
  if (holder?.pid === process.pid) await rm(file, {force: true})
}
