// Test support for src/run: an in-memory jail host behind the CommandRunner seam (jls, jail -c/-r, mount -p, jexec).
import {readFile, rm} from 'node:fs/promises'
import path from 'node:path'

import {ExternalCommandError, type CommandRunner, type RunOptions, type RunResult} from '../../src/system/runner.js'

export interface FakeCall {
  file: string
  args: string[]
  options: RunOptions
}

export interface FakeJailHostOptions {
  /** Jails running before the test (name → root). */
  running?: Record<string, string>
  /** Extra `mount -p` mount points, as if left behind. */
  mounts?: string[]
  /** jail -c of these names exits 1 with this stderr. */
  failCreate?: Record<string, string>
  /** jail -r of these names exits 1 with this stderr. */
  failRemove?: Record<string, string>
  /** jexec of a first-start script with this file name exits with this status and output. */
  failScript?: Record<string, {exitCode: number; output: string}>
  /** Milliseconds each jail -c takes. */
  createMs?: number
  /** jexec NAME … (console) answers with this. */
  jexec?: Partial<RunResult>
}

export function fakeJailHost(options: FakeJailHostOptions = {}) {
  const calls: FakeCall[] = []
  const running = new Map(Object.entries(options.running ?? {}))
  const mounts = new Map<string, string>((options.mounts ?? []).map((point) => [point, 'leftover']))
  let inFlight = 0
  let peak = 0

  const jail = async (args: string[]): Promise<Partial<RunResult>> => {
    const [, conf = '', op = '', name = ''] = args
    const text = await readFile(conf, 'utf8')
    if (op === '-c') {
      inFlight++
      peak = Math.max(peak, inFlight)
      await new Promise((resolve) => setTimeout(resolve, options.createMs ?? 0))
      inFlight--
      const failure = options.failCreate?.[name]
      if (failure !== undefined) return {exitCode: 1, stderr: `${failure}\n`, stdout: 'jail output line\n'}
      const root = /\bpath = "([^"]+)"/.exec(text)?.[1] ?? ''
      const fstab = /mount\.fstab = "([^"]+)"/.exec(text)?.[1] ?? ''
      for (const line of (await readFile(fstab, 'utf8')).split('\n').filter(Boolean)) {
        mounts.set(line.split('\t')[1] ?? '', name)
      }
      running.set(name, root)
      return {stdout: `${name}: created\n`}
    }
    const failure = options.failRemove?.[name]
    if (failure !== undefined) return {exitCode: 1, stderr: `${failure}\n`}
    running.delete(name)
    for (const [point, owner] of mounts) if (owner === name) mounts.delete(point)
    return {stdout: `${name}: removed\n`}
  }

  const jexec = async (args: string[]): Promise<Partial<RunResult>> => {
    const [, name = '', program = '', ...rest] = args
    const root = running.get(name)
    if (root === undefined) return {exitCode: 1, stderr: `jexec: jail "${name}" not found\n`}
    if (program === '/bin/rm') {
      await rm(path.join(root, rest.at(-1) ?? '/nonexistent'))
      return {}
    }
    if (program === '/bin/sh' && rest[0] !== '-c') {
      const failure = options.failScript?.[path.basename(rest[0] ?? '')]
      if (failure !== undefined) return {exitCode: failure.exitCode, stdout: failure.output}
      return {stdout: 'script ran\n'}
    }
    return options.jexec ?? {}
  }

  const jls = (): Partial<RunResult> => {
    const list = [...running].map(([name, root], i) => ({jid: i + 1, name, path: root, hostname: name}))
    return {stdout: JSON.stringify({__version: '2', 'jail-information': {jail: list}}) + '\n'}
  }

  const tryRun = async (file: string, args: readonly string[], runOptions: RunOptions = {}): Promise<RunResult> => {
    calls.push({file, args: [...args], options: runOptions})
    let answer: Partial<RunResult>
    if (file === 'jls') answer = jls()
    else if (file === 'jail') answer = await jail([...args])
    else if (file === 'jexec') answer = await jexec([...args])
    else if (file === 'mount' && args[0] === '-p') {
      answer = {stdout: [...mounts.keys()].map((point) => `/some/dev\t${point}\tnullfs\tro\t0 0\n`).join('')}
    } else answer = {exitCode: 127, stderr: `${file}: not faked\n`}
    return {exitCode: 0, stdout: '', stderr: '', ...answer}
  }

  const runner: CommandRunner = {
    tryRun,
    async run(file, args, runOptions) {
      const result = await tryRun(file, args, runOptions)
      if (result.exitCode !== 0) throw new ExternalCommandError(file, args, result)
      return result
    },
    stream() {
      throw new Error('the fake jail host does not stream')
    },
  }

  return {
    runner,
    calls,
    /** Calls as `program arg…` lines, for exact sequence assertions. */
    lines: (program?: string) =>
      calls.filter((c) => !program || c.file === program).map((c) => [c.file, ...c.args].join(' ')),
    running: () => new Set(running.keys()),
    mounts: () => [...mounts.keys()],
    peakParallel: () => peak,
  }
}
