// Reads the file flags (schg, uarch...) under a jail's root: find(1) lists the flagged paths, stat(1) names their flags.
import {OperationError} from '../errors.js'
import type {CommandRunner} from '../system/runner.js'

/** Paths per stat call: far below ARG_MAX with FreeBSD's path lengths. */
const BATCH = 500

/**
 * Absolute path → flags as fflagstostr(3) spells them (`schg,uarch`), for every path under ROOT on its file system
 * that has any: `find -x ROOT ! -flags 0 -print0`, then `stat -f %Sf -- PATH...` (one line per path, in order).
 */
export async function readFileFlags(run: CommandRunner, root: string): Promise<Map<string, string>> {
  const found = await run.run('find', ['-x', root, '!', '-flags', '0', '-print0'])
  const paths = found.stdout.split('\0').filter((p) => p !== '')
  const flags = new Map<string, string>()
  for (let i = 0; i < paths.length; i += BATCH) {
    const batch = paths.slice(i, i + BATCH)
    const lines = (await run.run('stat', ['-f', '%Sf', '--', ...batch])).stdout.split('\n').slice(0, -1)
    if (lines.length !== batch.length) {
      throw new OperationError(`stat -f %Sf printed ${lines.length} lines for ${batch.length} paths under ${root}`)
    }
    batch.forEach((file, j) => {
      const line = lines[j] ?? '-'
      if (line !== '-' && /^[a-z,]+$/.test(line)) flags.set(file, line)
    })
  }
  return flags
}
