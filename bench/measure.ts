// Benchmark plumbing: wall time of a child process (and, apart, peak RSS of its tree), and ratio reporting.
import {arch, availableParallelism, platform} from 'node:os'
import {spawn} from 'node:child_process'
import {readFile, readdir} from 'node:fs/promises'

export interface Measured {
  seconds: number
  stdout: string
  stderr: string
}

export interface MeasuredMemory extends Measured {
  /** Highest VmHWM seen for the main process, in MB (polled from /proc every 20 ms). */
  peakRssMb: number
  /** Highest summed VmRSS of the whole process tree (main + children such as xz), in MB. */
  peakTreeRssMb: number
}

type MeasureOptions = {env?: NodeJS.ProcessEnv; cwd?: string}

/**
 * Runs argv and times it; fails on a non-zero exit. Nothing watches the process while it runs: polling /proc
 * takes CPU from the two cores the benches time (it added ~0.3 s to a 1.6 s update phase of 100 jails).
 */
export async function measure(argv: string[], options: MeasureOptions = {}): Promise<Measured> {
  return run(argv, options)
}

/** Runs argv, polling /proc every 20 ms for the peak memory of the process and its tree: for memory figures. */
export async function measureMemory(argv: string[], options: MeasureOptions = {}): Promise<MeasuredMemory> {
  let peakRssMb = 0
  let peakTreeRssMb = 0
  const measured = await run(argv, options, (pid) => {
    const timer = setInterval(() => {
      void treeMemory(pid).then(({hwm, tree}) => {
        peakRssMb = Math.max(peakRssMb, hwm)
        peakTreeRssMb = Math.max(peakTreeRssMb, tree)
      })
    }, 20)
    return () => clearInterval(timer)
  })
  return {...measured, peakRssMb, peakTreeRssMb}
}

/** WATCH, if given, starts with the child's pid and returns how to stop watching. */
async function run(argv: string[], options: MeasureOptions, watch?: (pid: number) => () => void): Promise<Measured> {
  const [file = '', ...args] = argv
  const started = performance.now()
  const child = spawn(file, args, {
    env: options.env ?? process.env,
    cwd: options.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c))
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c))
  const stop = watch?.(child.pid ?? 0)
  const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? 1)))
  stop?.()
  const seconds = (performance.now() - started) / 1000
  if (code !== 0) throw new Error(`${argv.join(' ')} exited ${code}: ${stderr.slice(-2000) || stdout.slice(-2000)}`)
  return {seconds, stdout, stderr}
}

async function treeMemory(pid: number): Promise<{hwm: number; tree: number}> {
  const status = async (p: number) => readFile(`/proc/${p}/status`, 'utf8').catch(() => '')
  const field = (text: string, name: string) =>
    Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0) / 1024
  const main = await status(pid)
  let tree = field(main, 'VmRSS')
  for (const child of await childrenOf(pid)) tree += field(await status(child), 'VmRSS')
  return {hwm: field(main, 'VmHWM'), tree}
}

async function childrenOf(pid: number): Promise<number[]> {
  const tasks = await readdir(`/proc/${pid}/task`).catch(() => [] as string[])
  const direct = (
    await Promise.all(tasks.map((t) => readFile(`/proc/${pid}/task/${t}/children`, 'utf8').catch(() => '')))
  )
    .join(' ')
    .split(/\s+/)
    .filter(Boolean)
    .map(Number)
  const nested = await Promise.all(direct.map(childrenOf))
  return [...direct, ...nested.flat()]
}

/** Best (minimum) of n runs: the least disturbed measurement of the same work. */
export async function bestOf<T extends {seconds: number}>(runs: number, once: () => Promise<T>): Promise<T[]> {
  const results: T[] = []
  for (let i = 0; i < runs; i++) results.push(await once())
  return results.sort((a, b) => a.seconds - b.seconds)
}

/** The median run of N (N >= 5 for a figure worth reporting), and all of them sorted, for the spread. */
export async function medianOf<T extends {seconds: number}>(
  runs: number,
  once: () => Promise<T>,
): Promise<{median: T; runs: T[]}> {
  const sorted = await bestOf(runs, once)
  return {median: sorted[Math.floor(sorted.length / 2)]!, runs: sorted}
}

/** Where a figure was measured: cores and Node.js version, printed beside every benchmark's ratios. */
export function machine(): string {
  return `${availableParallelism()} cores, Node.js ${process.version}, ${platform()} ${arch()}`
}

export function report(name: string, lines: Array<[string, string]>): void {
  process.stdout.write(`\n== ${name}\n  (${machine()})\n`)
  const width = Math.max(...lines.map(([label]) => label.length))
  for (const [label, value] of lines) process.stdout.write(`  ${label.padEnd(width)}  ${value}\n`)
}
