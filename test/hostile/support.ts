// The red-team suite's harness: a prepared installed host per file, whole-host snapshots, and `refuses`.
import {handle, run, type Config} from '@oclif/core'
import {captureOutput} from '@oclif/test'
import assert from 'node:assert/strict'
import {createHash} from 'node:crypto'
import {lstat, mkdir, readFile, readdir, readlink} from 'node:fs/promises'
import path from 'node:path'

import {sourceConfig} from '../../bin/source-config.js'
import type {FakeJail, FakeMount} from '../fixtures/fake-host.js'
import type {CliResult} from '../support/cli.js'
import {createInstalledHost, type InstalledHost} from '../support/installed-host.js'
import {diffTrees, sortedWithLinkGroups, type EntryFacts, type Snapshot} from '../support/tree.js'
import {removeAll} from './trees.js'

export const isRoot = process.getuid?.() === 0

/** Everything tsez could touch: the host's tree (tsez.conf, the mirror, every tsez path), running jails, mounts. */
export interface HostState {
  tree: Snapshot
  jails: FakeJail[]
  mounts: FakeMount[]
}

export async function snapshotHost(host: InstalledHost): Promise<HostState> {
  return {tree: await snapshotFast(host.root), jails: host.fake.jails(), mounts: host.fake.mounts()}
}

/** sha256 by dev:ino:size:mtime:ctime (ns): a file's content cannot change without its ctime changing. */
const hashes = new Map<string, string>()

/**
 * support/tree.ts's snapshotTree, the same facts of every entry (diffTrees compares them), at a fraction of the
 * cost for a suite that snapshots the same host hundreds of times: directories are read in parallel and a file
 * is hashed again only when its inode, size, mtime or ctime moved. bad-input checks it agrees with snapshotTree.
 */
export async function snapshotFast(root: string): Promise<Snapshot> {
  const facts = new Map<string, EntryFacts>()
  const inodes = new Map<string, string[]>()
  const visit = async (rel: string): Promise<void> => {
    const abs = rel === '.' ? root : path.join(root, rel)
    const st = await lstat(abs, {bigint: true})
    const type = st.isFile() ? 'file' : st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'symlink' : 'other'
    const entry: EntryFacts = {
      type,
      mode: Number(st.mode & 0o7777n),
      uid: Number(st.uid),
      gid: Number(st.gid),
      mtimeMs: Number(st.mtimeMs / 1000n) * 1000,
    }
    facts.set(rel, entry)
    if (type === 'file') {
      entry.size = Number(st.size)
      const key = `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`
      let sha256 = hashes.get(key)
      if (sha256 === undefined) {
        sha256 = createHash('sha256')
          .update(await readFile(abs))
          .digest('hex')
        hashes.set(key, sha256)
      }
      entry.sha256 = sha256
      if (st.nlink > 1n) inodes.set(`${st.dev}:${st.ino}`, [...(inodes.get(`${st.dev}:${st.ino}`) ?? []), rel])
    }
    if (type === 'symlink') entry.target = await readlink(abs)
    if (type !== 'dir') return
    const names = await readdir(abs)
    await Promise.all(names.map((name) => visit(rel === '.' ? name : `${rel}/${name}`)))
  }
  await visit('.')
  return sortedWithLinkGroups(facts, inodes)
}

/**
 * One line per difference. The mtime of tsez_dbdir is left out: a mutating command takes the host lock there (a
 * file created and removed again) before it reads the state it validates against; a lock file left behind shows.
 */
export function diffHost(host: InstalledHost, before: HostState, after: HostState): string[] {
  const lockDir = path.relative(host.root, host.dirs.dbdir)
  const lines = diffTrees(before.tree, after.tree, {ignoreMtimeOf: [lockDir]})
  const show = (jails: FakeJail[]) => jails.map((j) => `${j.name}@${j.path}`).join(', ')
  if (show(before.jails) !== show(after.jails))
    lines.push(`running jails: ${show(before.jails)} -> ${show(after.jails)}`)
  const mounts = (state: HostState) => JSON.stringify(state.mounts)
  if (mounts(before) !== mounts(after)) lines.push(`mounts: ${mounts(before)} -> ${mounts(after)}`)
  return lines
}

let config: Promise<Config> | undefined

/**
 * tsez in-process, as bin/run.js runs it: output kept byte for byte (no ANSI stripping: an escape sequence that
 * reaches the terminal is a finding), and an error that escapes the command goes through oclif's own handler, as
 * `execute` does (its process.exit held back for the exit code).
 */
export async function runTsez(args: string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  config ??= sourceConfig()
  const loaded = await config
  const saved = {...process.env}
  Object.assign(process.env, env)
  process.exitCode = undefined
  const exit = Object.getOwnPropertyDescriptor(process, 'exit')
  let handled: number | undefined
  try {
    const {stdout, stderr} = await captureOutput(
      async () => {
        try {
          await run(args, loaded)
        } catch (error) {
          process.exit = ((code?: number) => void (handled = code ?? 0)) as typeof process.exit
          await handle(error as Error)
        }
      },
      {stripAnsi: false},
    )
    return {stdout, stderr, exitCode: handled ?? Number(process.exitCode ?? 0)}
  } finally {
    if (exit) Object.defineProperty(process, 'exit', exit)
    process.exitCode = undefined
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key]
    Object.assign(process.env, saved)
  }
}

/** stderr is exactly one line `tsez: ...`, printable (no control characters, no stack trace) and matching RULE. */
function assertOneLine(stderr: string, rule: RegExp, what: string): void {
  assert.match(stderr, /^tsez: [^\n]*\n$/, `${what}: not one "tsez: " line: ${JSON.stringify(stderr)}`)
  // eslint-disable-next-line no-control-regex -- control characters are exactly what must not reach the terminal
  assert.doesNotMatch(stderr.slice(0, -1), /[\x00-\x1f\x7f\x9b]/, `${what}: control characters in ${stderr}`)
  assert.match(stderr, rule, `${what}: ${stderr}`)
}

export interface Refusal {
  exit: 1 | 2
  message: RegExp
}

export interface HostileHost {
  readonly host: InstalledHost
  /** Runs tsez in-process; asserts EXIT, one line matching MESSAGE on stderr, and a host exactly as before. */
  refuses(args: string[], refusal: Refusal): Promise<void>
  /** Runs tsez in-process and asserts exit 0 (setting the host up; the next refusal takes a fresh snapshot). */
  ok(args: string[]): Promise<CliResult>
}

/**
 * Registers before/after hooks in the calling describe: an installed host (the golden install copied), with
 * web1 (created, stopped), run1 (running) and www.example.com (jail www_example_com, norun), the last two on
 * roots of their own (create -x). Refusals compare with the state after the previous one: one snapshot a case.
 */
export function useHostileHost(): HostileHost {
  let host: InstalledHost | undefined
  let baseline: HostState | undefined
  const current = () => {
    assert.ok(host, 'the hostile host is not prepared (not root?)')
    return host
  }
  const ok = async (args: string[]) => {
    baseline = undefined
    const result = await runTsez(args, current().env)
    assert.equal(result.exitCode, 0, `${args.join(' ')}: ${result.stderr}`)
    return result
  }
  before(async function () {
    if (!isRoot) this.skip() // created jails have root-owned files
    this.timeout(120_000)
    host = await createInstalledHost()
    await ok(['create', 'web1', '10.0.0.5'])
    // Roots of their own (create -x): a few entries each, so that every snapshot stays quick.
    const ownRoot = async (name: string, ips: string, ...flags: string[]) => {
      const root = path.join(current().dirs.jaildir, 'own', name)
      await mkdir(path.join(root, 'basejail'), {recursive: true})
      await mkdir(path.join(root, 'etc'))
      await ok(['create', '-x', '-r', root, ...flags, name, ips])
    }
    await ownRoot('run1', 'lo1|127.0.1.7')
    await ownRoot('www.example.com', '10.0.0.8', '--norun')
    await ok(['start', 'run1'])
  })
  after(async () => {
    if (host !== undefined) await removeAll(host.dirs.jaildir)
    await host?.cleanup()
  })
  return {
    get host() {
      return current()
    },
    ok,
    async refuses(args, {exit, message}) {
      const target = current()
      const before = baseline ?? (await snapshotHost(target))
      baseline = undefined
      const result = await runTsez(args, target.env)
      const after = await snapshotHost(target)
      baseline = after
      const what = `tsez ${JSON.stringify(args)}`
      assert.equal(result.exitCode, exit, `${what}: exit ${result.exitCode}: ${result.stderr}`)
      assertOneLine(result.stderr, message, what)
      assert.deepEqual(diffHost(target, before, after), [], `${what} changed the host`)
    },
  }
}
