// Reading one integer sysctl(8) value (kern.racct.enable, hw.ncpu), undefined when the kernel has no such name.
import type {CommandRunner} from './runner.js'

export async function sysctlNumber(run: CommandRunner, name: string): Promise<number | undefined> {
  const result = await run.tryRun('sysctl', ['-n', name])
  const text = result.stdout.trim()
  return result.exitCode === 0 && /^-?[0-9]+$/.test(text) ? Number(text) : undefined
}

/** hw.ncpu, or 1 when it cannot be read (then only CPU 0 and pcpu up to 100 are accepted). */
export async function cpuCount(run: CommandRunner): Promise<number> {
  const ncpu = await sysctlNumber(run, 'hw.ncpu')
  return ncpu !== undefined && ncpu > 0 ? ncpu : 1
}
