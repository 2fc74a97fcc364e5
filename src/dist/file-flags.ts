// Re-applies the file flags (schg, ...) that distribution sets carry as SCHILY.fflags, with few chflags(1) calls.
import path from 'node:path'

import type {CommandRunner} from '../system/runner.js'

/** Paths per chflags call: far below ARG_MAX with FreeBSD's path lengths. */
const BATCH = 500

export interface FileFlags {
  path: string
  flags: string
}

/** `chflags -h FLAGS PATH...` per distinct flag set, in batches; -h so a flagged symlink is never followed. */
export async function applyFileFlags(run: CommandRunner, root: string, entries: readonly FileFlags[]): Promise<number> {
  const byFlags = new Map<string, string[]>()
  for (const {path: rel, flags} of entries) {
    if (!/^[a-z,]+$/.test(flags)) continue
    const list = byFlags.get(flags) ?? []
    list.push(path.join(root, rel))
    byFlags.set(flags, list)
  }
  let calls = 0
  for (const [flags, paths] of byFlags) {
    for (let i = 0; i < paths.length; i += BATCH) {
      await run.run('chflags', ['-h', flags, ...paths.slice(i, i + BATCH)])
      calls++
    }
  }
  return calls
}
