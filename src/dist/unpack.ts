// Streams a verified distribution set through `xz -dc -T0` into an extractor, and reports a damaged body as such.
import type {Readable} from 'node:stream'

import type {CommandRunner} from '../system/runner.js'
import {openSet, SetBodyError, type OpenSetOptions, type VerifiedSet} from './fetch.js'

/**
 * Opens the set (cache or mirror), decompresses it and hands the tar stream to `extract`. The download lands in
 * the cache only when the sha256 matched AND `extract` succeeded; on any failure it is removed, so no partial or
 * unverified file stays behind. A body damaged in flight usually makes xz or tar fail before its last byte was
 * hashed ("invalid base256 encoding", "Truncated input"): the rest of the body is then still read to finish the
 * sha256, and a mismatch (or a short or broken download) is reported instead of what it made xz or tar say.
 */
export async function unpackSet<T>(
  run: CommandRunner,
  options: OpenSetOptions,
  extract: (tar: Readable) => Promise<T>,
): Promise<VerifiedSet & {result: T}> {
  const set = await openSet(options)
  const xz = run.stream('xz', ['-dc', '-T0'], {stdin: set.stream})
  const parts = [set.verified, xz.done, extract(xz.stdout)] as const
  try {
    const [verified, , result] = await Promise.all(parts)
    await set.keep()
    return {...verified, result}
  } catch (error) {
    // Everything is stopped and awaited, so nothing still writes into the destination when the caller removes it.
    xz.kill()
    set.detach()
    const [verdict] = await Promise.allSettled(parts)
    await set.drop()
    throw verdict.status === 'rejected' && verdict.reason instanceof SetBodyError ? verdict.reason : error
  }
}
