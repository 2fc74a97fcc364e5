// Counts as people write them: "1 jail", "2 jails", "0 jails".

/** N and NOUN, NOUN in the plural (PLURAL, default NOUN + "s") unless N is 1. */
export function count(n: number, noun: string, plural = `${noun}s`): string {
  return `${n} ${n === 1 ? noun : plural}`
}
