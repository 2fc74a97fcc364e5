// Parses (and writes back) FreeBSD's MANIFEST: six TAB-separated columns per set (file, sha256, entries, name, "description", on|off).
import {OperationError, quote} from '../errors.js'

export interface ManifestEntry {
  file: string
  sha256: string
  entries: number
  name: string
  description: string
  selected: boolean
}

export function parseManifest(text: string, source: string): Map<string, ManifestEntry> {
  const sets = new Map<string, ManifestEntry>()
  const lineOf = new Map<string, number>() // of each set name and file name seen
  text.split('\n').forEach((line, index) => {
    if (line.trim() === '') return
    const fields = line.split('\t')
    const [file = '', sha256 = '', entries = '', name = '', quoted = '', selected = ''] = fields
    const bad = (why: string) => new OperationError(`malformed MANIFEST from ${source}, line ${index + 1}: ${why}`)
    if (fields.length !== 6) throw bad(`expected 6 tab-separated fields, found ${fields.length}`)
    if (!/^[\w.-]+\.txz$/.test(file)) throw bad(`bad file name ${quote(file)}`)
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw bad(`bad sha256 for ${file}`)
    if (!/^\d+$/.test(entries)) throw bad(`bad entry count for ${file}`)
    if (!/^"[^"]*"$/.test(quoted)) throw bad(`description of ${file} is not double-quoted`)
    if (selected !== 'on' && selected !== 'off') throw bad(`last field of ${file} must be on or off`)
    if (!/^[\w-]+$/.test(name)) throw bad(`bad set name ${quote(name)} for ${file}`)
    for (const key of [`set ${name}`, `file ${file}`]) {
      const first = lineOf.get(key)
      if (first !== undefined) throw bad(`${key} listed again (first on line ${first})`)
      lineOf.set(key, index + 1)
    }
    sets.set(name, {
      file,
      sha256,
      entries: Number(entries),
      name,
      description: quoted.slice(1, -1),
      selected: selected === 'on',
    })
  })
  if (sets.size === 0) throw new OperationError(`MANIFEST from ${source} lists no sets`)
  return sets
}

/** The MANIFEST text of ENTRIES, in the format parseManifest reads (install keeps it in the cache). */
export function renderManifest(entries: Map<string, ManifestEntry>): string {
  const lines = [...entries.values()].map((e) =>
    [e.file, e.sha256, e.entries, e.name, `"${e.description}"`, e.selected ? 'on' : 'off'].join('\t'),
  )
  return lines.join('\n') + '\n'
}
