// "did you mean": the known word closest to a mistyped one (a command id or a flag), when it is close enough.

/**
 * Edits between A and B: insertions, deletions, substitutions and swaps of two neighbours (optimal string
 * alignment), so `lsit` is one edit from `list`.
 */
export function editDistance(a: string, b: string): number {
  const rows = Array.from({length: a.length + 1}, (_, i) => Array.from({length: b.length + 1}, (_, j) => i + j))
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const row = rows[i]!
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      row[j] = Math.min(rows[i - 1]![j]! + 1, row[j - 1]! + 1, rows[i - 1]![j - 1]! + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        row[j] = Math.min(row[j]!, rows[i - 2]![j - 2]! + 1)
      }
    }
  }
  return rows[a.length]![b.length]!
}

/**
 * The candidate closest to WORD, or undefined when none is close: at most 2 edits, and at most a third of the
 * longer word (so `ls` suggests nothing rather than a guess). A candidate WORD starts (`conf` for `config`) wins.
 */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  const lower = word.toLowerCase()
  const prefixed = candidates.filter((candidate) => lower.length >= 3 && candidate.startsWith(lower))
  if (prefixed.length === 1) return prefixed[0]
  let best: {candidate: string; distance: number} | undefined
  for (const candidate of candidates) {
    const distance = editDistance(lower, candidate.toLowerCase())
    const close = distance <= 2 && distance * 3 <= Math.max(lower.length, candidate.length)
    if (close && (best === undefined || distance < best.distance)) best = {candidate, distance}
  }
  return best?.candidate
}
