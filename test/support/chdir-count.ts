// Counts process.chdir calls while FN runs: how many directory descents a walk made (cwd-walk.ts moves by chdir).
export async function countingChdirs<T>(fn: () => T | Promise<T>): Promise<{value: T; chdirs: number}> {
  const chdir = process.chdir.bind(process)
  let chdirs = 0
  process.chdir = (to: string) => {
    chdirs++
    chdir(to)
  }
  try {
    return {value: await fn(), chdirs}
  } finally {
    process.chdir = chdir
  }
}
