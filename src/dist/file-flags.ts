// File flags (schg, ...): read under a tree (find + stat) and re-applied (SCHILY.fflags, a clone) with few chflags calls.
import path from 'node:path'

import {OperationError} from '../errors.js'
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

/**
 * Relative path ('.' for ROOT) → flags as fflagstostr(3) spells them (`schg,uarch`), for every path under ROOT on its
 * file system that has any: `find -x ROOT ! -flags 0 -print0`, then `stat -f %Sf -- PATH...` (one line per path).
 */
export async function readTreeFlags(run: CommandRunner, root: string): Promise<FileFlags[]> {
  const found = await run.run('find', ['-x', root, '!', '-flags', '0', '-print0'])
  const paths = found.stdout.split('\0').filter((p) => p !== '')
  const flagged: FileFlags[] = []
  for (let i = 0; i < paths.length; i += BATCH) {
    const batch = paths.slice(i, i + BATCH)
    const lines = (await run.run('stat', ['-f', '%Sf', '--', ...batch])).stdout.split('\n').slice(0, -1)
    if (lines.length !== batch.length) {
      throw new OperationError(`stat -f %Sf printed ${lines.length} lines for ${batch.length} paths under ${root}`)
    }
    batch.forEach((file, j) => {
      const flags = lines[j] ?? '-'
      if (flags !== '-' && /^[a-z,]+$/.test(flags)) flagged.push({path: path.relative(root, file) || '.', flags})
    })
  }
  return flagged
}
