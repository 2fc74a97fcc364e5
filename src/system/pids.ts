// Whether a process id names a running process, for sweeps of what killed tsez processes left behind.

/** PID runs (or runs as another user: EPERM), as kill(pid, 0) tells; a zombie counts as running. */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}
