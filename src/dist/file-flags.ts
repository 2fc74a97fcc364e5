// File flags (schg, ...): read under a tree (find + stat) and re-applied (SCHILY.fflags, a clone) with few chflags calls.
import {isUtf8} from 'node:buffer'
import path from 'node:path'
import {Readable} from 'node:stream'

import {OperationError} from '../errors.js'
import {hasRawBytes, nameBytes} from '../system/byte-names.js'
import type {CommandRunner} from '../system/runner.js'

const NUL = Buffer.from([0])

export interface FileFlags {
  /**
   * Relative to the tree's root ('.' for the root); bytes when the name is not UTF-8 (readTreeFlags), or a string
   * keeping them as byte-names.ts does (an extraction's).
   */
  path: string | Buffer
  flags: string
}

/** Paths per chflags call: far below ARG_MAX with FreeBSD's path lengths. */
const BATCH = 500

/*
 * A path is an argument of chflags (what -v shows) when it is UTF-8 text, as every argument of a program Node
 * starts is. A jail's file names are bytes: one that is not UTF-8 would reach chflags or stat as another name
 * (`f\xff` as `f\uFFFD`, another file or none), so those paths go through `xargs -0`, NUL-separated on its stdin.
 */

/** `chflags -h FLAGS PATH...` per distinct flag set, in batches; -h so a flagged symlink is never followed. */
export async function applyFileFlags(run: CommandRunner, root: string, entries: readonly FileFlags[]): Promise<number> {
  const byFlags = new Map<string, Array<string | Buffer>>()
  for (const {path: rel, flags} of entries) {
    if (!/^[a-z,]+$/.test(flags)) continue
    const list = byFlags.get(flags) ?? []
    if (typeof rel === 'string' && !hasRawBytes(rel)) list.push(path.join(root, rel))
    else list.push(Buffer.concat([Buffer.from(`${root}/`), typeof rel === 'string' ? nameBytes(rel) : rel]))
    byFlags.set(flags, list)
  }
  let calls = 0
  for (const [flags, paths] of byFlags) {
    const texts = paths.filter((p): p is string => typeof p === 'string')
    const bytes = paths.filter((p): p is Buffer => typeof p !== 'string')
    for (let i = 0; i < texts.length; i += BATCH) {
      await run.run('chflags', ['-h', flags, ...texts.slice(i, i + BATCH)])
      calls++
    }
    if (bytes.length > 0) {
      await output(run, 'xargs', ['-0', 'chflags', '-h', flags], bytes)
      calls++
    }
  }
  return calls
}

/**
 * Relative path ('.' for ROOT) → flags as fflagstostr(3) spells them (`schg,uarch`), for every path under ROOT on its
 * file system that has any: `find -x ROOT ! -flags 0 -print0`, then `xargs -0 stat -f %Sf --` (a line per path,
 * every path on xargs's stdin: find's bytes as they are). A path is a string when it is UTF-8, else its bytes.
 */
export async function readTreeFlags(run: CommandRunner, root: string): Promise<FileFlags[]> {
  const top = Buffer.from(root.replace(/(.)\/+$/, '$1'))
  const found = await output(run, 'find', ['-x', root, '!', '-flags', '0', '-print0'])
  const paths = splitBytes(found, 0).filter((p) => p.length > 0)
  if (paths.length === 0) return []
  const lines = (await output(run, 'xargs', ['-0', 'stat', '-f', '%Sf', '--'], paths)).toString('latin1').split('\n')
  if (lines.pop() !== '' || lines.length !== paths.length) {
    throw new OperationError(`stat -f %Sf printed ${lines.length} lines for ${paths.length} paths under ${root}`)
  }
  const flagged: FileFlags[] = []
  paths.forEach((file, i) => {
    const flags = lines[i] ?? '-'
    if (flags === '-' || !/^[a-z,]+$/.test(flags)) return
    const rel = relativeTo(top, file)
    if (rel === undefined) throw new OperationError(`find -x ${root} printed a path outside it`)
    flagged.push({path: isUtf8(rel) ? rel.toString() || '.' : rel, flags})
  })
  return flagged
}

/** FILE below TOP, relative; empty for TOP itself; undefined when it is not below. */
function relativeTo(top: Buffer, file: Buffer): Buffer | undefined {
  if (file.equals(top)) return Buffer.alloc(0)
  const prefix = top.equals(Buffer.from('/')) ? top : Buffer.concat([top, Buffer.from('/')])
  return file.subarray(0, prefix.length).equals(prefix) ? file.subarray(prefix.length) : undefined
}

function splitBytes(bytes: Buffer, separator: number): Buffer[] {
  const parts: Buffer[] = []
  for (let start = 0; start <= bytes.length;) {
    const end = bytes.indexOf(separator, start)
    parts.push(bytes.subarray(start, end === -1 ? bytes.length : end))
    if (end === -1) break
    start = end + 1
  }
  return parts
}

/** FILE ARGS's whole stdout, with INPUT (NUL-terminated) on its stdin; a non-zero exit throws. */
async function output(run: CommandRunner, file: string, args: string[], input?: Buffer[]): Promise<Buffer> {
  const stdin = input && Readable.from([Buffer.concat(input.flatMap((p) => [p, NUL]))])
  const started = run.stream(file, args, stdin ? {stdin} : {})
  const chunks: Buffer[] = []
  const collect = async () => {
    for await (const chunk of started.stdout) chunks.push(chunk as Buffer)
  }
  await Promise.all([collect(), started.done])
  return Buffer.concat(chunks)
}
