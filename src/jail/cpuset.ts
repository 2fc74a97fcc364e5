// CPU lists in cpuset(1)'s syntax (`0-3,5`): checked against the host's CPUs and written back in one canonical form.
import {quote} from '../errors.js'

/*
 * cpuset(1) -l takes a comma-separated list of CPU numbers and ranges (`0-3,5`); `all` means every CPU and is not
 * a pinning, so tsez refuses it (unset the cpuset instead). Each CPU must exist: 0 .. hw.ncpu-1. A range must go
 * upwards (`5-3` is a mistake, not 3-5). The canonical form sorts the CPUs and merges adjacent ones into ranges, so
 * `3,0-2` and `0-3` are the same list in the record and in jail.conf.
 */

const MAX_LIST_LENGTH = 1024

/** The canonical list for TEXT, or one line saying why it is not a cpuset(1) list of this host's NCPU CPUs. */
export function parseCpuList(text: string, ncpu: number): {list: string} | {problem: string} {
  const bad = (why: string) => ({problem: `--cpuset ${quote(text)}: ${why}`})
  if (text.length > MAX_LIST_LENGTH || !/^[0-9]+(-[0-9]+)?(,[0-9]+(-[0-9]+)?)*$/.test(text)) {
    return bad('write CPU numbers and ranges separated by commas, e.g. 0-3,5 (see cpuset(1))')
  }
  const cpus = new Set<number>()
  for (const item of text.split(',')) {
    const [first = '', last = first] = item.split('-')
    const low = Number(first)
    const high = Number(last)
    if (/^0[0-9]/.test(first) || /^0[0-9]/.test(last)) return bad(`${item}: no leading zeros`)
    if (high < low) return bad(`range ${item} goes downwards; write ${last}-${first}`)
    if (high >= ncpu) {
      return bad(`CPU ${high} does not exist: this host has ${ncpu} CPUs, 0-${ncpu - 1} (sysctl hw.ncpu)`)
    }
    for (let cpu = low; cpu <= high; cpu++) cpus.add(cpu)
  }
  return {list: canonicalList([...cpus].sort((a, b) => a - b))}
}

function canonicalList(sorted: readonly number[]): string {
  const ranges: string[] = []
  for (let i = 0; i < sorted.length;) {
    let j = i
    while (j + 1 < sorted.length && sorted[j + 1] === (sorted[j] ?? 0) + 1) j++
    ranges.push(i === j ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`)
    i = j + 1
  }
  return ranges.join(',')
}

/** The cpuset argv that binds every process of jail NAME (and those it starts later) to LIST. */
export function cpusetArgv(name: string, list: string): string[] {
  return ['-l', list, '-j', name]
}
