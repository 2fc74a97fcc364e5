// The host-wide lock mutating commands hold: a lock file linked whole into place, naming its holder and the programs
// it runs, taken over only when all of them are dead (and then by exactly one taker).
import {randomBytes} from 'node:crypto'
import {readFileSync, renameSync, writeFileSync} from 'node:fs'
import {link, mkdir, open, readdir, rm, unlink, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {OperationError} from '../errors.js'
import {isRunning} from './pids.js'
import type {CommandRunner, RunOptions} from './runner.js'
import type {PooledRunner} from './shell-pool.js'

export interface LockHolder {
  pid: number
  command: string
  since: string
  /** Unique to one taking of the lock: what a takeover checks before it removes a stale lock. */
  token: string
  /** Programs the holder started that are running: a SIGKILLed tsez's children live on, so its lock does too. */
  children?: Array<{pid: number; program: string}>
}

export interface HostLock {
  release(): Promise<void>
  /** RUN, noting every program it starts in the lock file while it runs (so a takeover waits for it too). */
  track(run: CommandRunner): CommandRunner
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
  if (options.dryRun) return {release: () => Promise.resolve(), track: (run) => run}
  return acquireHostLock({dbdir, command, waitMs: options.waitMs, now: () => deps.clock.now()})
}

/** What a lock-like file (the lock, a takeover marker) holds, and what identifies this one file's content. */
interface Seen {
  holder: LockHolder | undefined
  id: string
  mtimeMs: number
}

/** An unreadable lock (an older tsez made it empty, then wrote it) counts as held this long after its last change. */
const UNREADABLE_GRACE_MS = 5000

export async function acquireHostLock(options: AcquireOptions): Promise<HostLock> {
  const file = path.join(options.dbdir, 'lock')
  await mkdir(options.dbdir, {recursive: true, mode: 0o700})
  const deadline = Date.now() + options.waitMs
  const me: LockHolder = {
    pid: process.pid,
    command: options.command,
    since: options.now().toISOString(),
    token: randomBytes(8).toString('hex'),
  }
  for (;;) {
    if (await createWhole(file, me)) {
      await sweepLeftovers(options.dbdir)
      return heldLock(file, me)
    }
    const seen = await readLockFile(file)
    if (seen === undefined) continue // released between our link and our read
    const busy = liveParty(seen)
    if (busy === undefined && (await breakStale(file, seen))) continue
    if (Date.now() >= deadline) {
      throw new OperationError(
        `${busy ?? 'another tsez taking over a stale lock'} holds the host lock ${file}; try again when it has finished`,
      )
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

/** What the lock file says now, without taking it (tsez doctor): free, held by a live party, or stale. */
export type LockState = {state: 'free'} | {state: 'held'; by: string} | {state: 'stale'; holder: LockHolder | undefined}

export async function inspectHostLock(dbdir: string): Promise<LockState> {
  const seen = await readLockFile(path.join(dbdir, 'lock'))
  if (seen === undefined) return {state: 'free'}
  const by = liveParty(seen)
  return by === undefined ? {state: 'stale', holder: seen.holder} : {state: 'held', by}
}

/** Links a complete file naming HOLDER to TARGET: false when TARGET exists. Readers never see it half written. */
async function createWhole(target: string, holder: LockHolder): Promise<boolean> {
  const temp = tempName(target)
  await writeFile(temp, JSON.stringify(holder) + '\n', {mode: 0o600, flag: 'wx'})
  try {
    await link(temp, target)
    return true
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw error
  } finally {
    await unlink(temp).catch(() => undefined)
  }
}

const tempName = (target: string) => `${target}.new-${process.pid}-${randomBytes(6).toString('hex')}`

async function readLockFile(file: string): Promise<Seen | undefined> {
  let handle
  try {
    handle = await open(file, 'r')
  } catch {
    return undefined
  }
  try {
    const info = await handle.stat()
    const holder = parseHolder(await handle.readFile('utf8'))
    // A lock of an older tsez has no token: its file's identity stands in.
    const id = holder?.token || `ino-${info.ino}-${Math.trunc(info.mtimeMs)}`
    return {holder, id, mtimeMs: info.mtimeMs}
  } finally {
    await handle.close()
  }
}

function parseHolder(text: string): LockHolder | undefined {
  try {
    const parsed = JSON.parse(text) as Partial<LockHolder>
    if (typeof parsed.pid !== 'number') return undefined
    const children = Array.isArray(parsed.children) ? parsed.children.filter((c) => typeof c?.pid === 'number') : []
    const token = typeof parsed.token === 'string' && /^[0-9a-f]{16}$/.test(parsed.token) ? parsed.token : ''
    return {pid: parsed.pid, command: String(parsed.command), since: String(parsed.since), token, children}
  } catch {
    return undefined // garbage, or an empty lock an older tsez had not written yet
  }
}

/** Who keeps the lock held: its holder, or a program the holder started; undefined when the lock is stale. */
function liveParty(seen: Seen): string | undefined {
  const holder = seen.holder
  if (!holder) return Date.now() - seen.mtimeMs <= UNREADABLE_GRACE_MS ? 'another tsez' : undefined
  const name = `tsez ${holder.command} (pid ${holder.pid}, since ${holder.since})`
  if (isAlive(holder.pid)) return name
  const child = holder.children?.find((c) => isAlive(c.pid))
  return child ? `${child.program} (pid ${child.pid}), still running for ${name}, which was killed,` : undefined
}

/**
 * Removes the stale FILE that was SEEN, unless it changed: only the taker that links the marker `lock.break-ID` may
 * remove the lock with that ID, so of two takers of one stale lock exactly one removes it (the other then meets the
 * winner's new lock). A marker whose taker died is broken the same way. False while another taker is at work.
 */
async function breakStale(file: string, seen: Seen): Promise<boolean> {
  const marker = path.join(path.dirname(file), `lock.break-${seen.id}`)
  const me = {
    pid: process.pid,
    command: 'takeover',
    since: new Date().toISOString(),
    token: randomBytes(8).toString('hex'),
  }
  if (!(await createWhole(marker, me))) {
    const other = await readLockFile(marker)
    if (other === undefined) return true // its taker just finished: look again
    if (liveParty(other) !== undefined) return false
    return breakStale(marker, other)
  }
  try {
    if ((await readLockFile(file))?.id === seen.id) await unlink(file).catch(() => undefined)
  } finally {
    await unlink(marker).catch(() => undefined)
  }
  return true
}

/** Temp files and takeover markers of dead processes (a SIGKILL between write and unlink); run holding the lock. */
async function sweepLeftovers(dbdir: string): Promise<void> {
  for (const name of await readdir(dbdir).catch(() => [] as string[])) {
    const temp = /^lock(?:\.break-[\w-]+)?\.new-(\d+)-[0-9a-f]{12}$/.exec(name)
    const marker = /^lock\.break-[\w-]+$/.test(name) ? await readLockFile(path.join(dbdir, name)) : undefined
    const dead = temp ? !isAlive(Number(temp[1])) : marker !== undefined && liveParty(marker) === undefined
    if (dead) await rm(path.join(dbdir, name), {force: true})
  }
}

function heldLock(file: string, me: LockHolder): HostLock {
  const children: NonNullable<LockHolder['children']> = []
  // Synchronous, in the tick the program was started in: no await lies between its start and its note.
  const rewrite = () => {
    const temp = tempName(file)
    writeFileSync(temp, JSON.stringify({...me, children}) + '\n', {mode: 0o600})
    renameSync(temp, file)
  }
  const watch = (program: string, options: RunOptions | undefined) => {
    let entry: {pid: number; program: string} | undefined
    const ended = () => {
      if (!entry) return
      children.splice(children.indexOf(entry), 1)
      rewrite()
    }
    const onSpawn = (pid: number) => {
      entry = {pid, program}
      children.push(entry)
      rewrite()
    }
    return {options: {...options, onSpawn}, ended}
  }
  const track = (run: CommandRunner): CommandRunner => ({
    tryRun: async (program, args, options) => {
      const watched = watch(program, options)
      return run.tryRun(program, args, watched.options).finally(watched.ended)
    },
    run: async (program, args, options) => {
      const watched = watch(program, options)
      return run.run(program, args, watched.options).finally(watched.ended)
    },
    stream: (program, args, options) => {
      const watched = watch(program, options)
      const streaming = run.stream(program, args, watched.options)
      return {...streaming, done: streaming.done.finally(watched.ended)}
    },
    pool: run.pool && (async (size) => trackPool(await run.pool!(size))),
  })
  /**
   * POOL's jobs are noted by the shell running each (system/shell-pool.ts), from its first job until the pool closes,
   * rewritten only when the program it runs changes: one rewrite per shell, not two per job. A shell outlives its
   * job, and one left idle by a killed tsez exits at once (its stdin ends). Calls the pool hands to its fallback
   * runner are noted one by one, as track's are.
   */
  const trackPool = (pool: PooledRunner): PooledRunner => {
    const shells = new Map<number, {pid: number; program: string}>()
    const noted = <T>(program: string, options: RunOptions | undefined, call: (options: RunOptions) => Promise<T>) => {
      const watched = watch(program, options)
      const onSpawn = (pid: number) => {
        if (!pool.shells.includes(pid)) return watched.options.onSpawn(pid)
        const shell = shells.get(pid)
        if (shell?.program === program) return
        if (shell) shell.program = program
        else {
          const entry = {pid, program}
          shells.set(pid, entry)
          children.push(entry)
        }
        rewrite()
      }
      return call({...options, onSpawn}).finally(watched.ended)
    }
    return {
      ...track(pool),
      tryRun: async (program, args, options) => noted(program, options, (o) => pool.tryRun(program, args, o)),
      run: async (program, args, options) => noted(program, options, (o) => pool.run(program, args, o)),
      directory: pool.directory,
      shells: pool.shells,
      close: async () => {
        await pool.close()
        for (const shell of shells.values()) children.splice(children.indexOf(shell), 1)
        if (shells.size > 0) rewrite()
      },
    }
  }
  return {
    release: async () => {
      if ((await readLockFile(file))?.holder?.token === me.token) await rm(file, {force: true})
    },
    track,
  }
}

/** Alive, and not a zombie no one reaps (Linux /proc; FreeBSD's init reaps orphans at once). */
function isAlive(pid: number): boolean {
  if (!isRunning(pid)) return false
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
  } catch {
    return true
  }
}
