// Minor garbage collections asked for while a stream of fresh buffers passes through (a decompressor's output).
import {setFlagsFromString} from 'node:v8'
import {runInNewContext} from 'node:vm'

/** V8's gc(), called for a scavenge of the young generation only. */
export type Collect = (options: {type: 'minor'}) => void

/** Bytes between two scavenges: 8 MiB, a hundred and twenty-eight 64 KiB pipe reads. */
const EVERY_BYTES = 8 * 1024 * 1024

let exposed: Collect | null | undefined

/**
 * V8's gc() function, exposed once the way test runners do (the flag, then a context of its own that has it), or
 * null where that does not work: the scavenges are a saving, never needed.
 */
export function exposedGc(): Collect | null {
  if (exposed !== undefined) return exposed
  try {
    setFlagsFromString('--expose-gc')
    const gc: unknown = runInNewContext('gc')
    exposed = typeof gc === 'function' ? (gc as Collect) : null
  } catch {
    exposed = null
  }
  return exposed
}

/**
 * CHUNKS as they come, with a scavenge after every EVERY bytes. Each pipe read is a new buffer, freed only by a
 * collection; a reader that allocates little else (restore's extraction) seldom fills the young generation, so
 * the dead buffers pile up as external memory until V8 forces full collections, which mark the whole heap (oclif
 * and all) again and again. A scavenge every few MiB frees them first. What `node --max-semi-space-size=1` would
 * do, which V8 takes only on node's command line.
 */
export async function* withScavenges(
  chunks: AsyncIterable<Buffer>,
  {collect = exposedGc(), every = EVERY_BYTES}: {collect?: Collect | null; every?: number} = {},
): AsyncGenerator<Buffer> {
  let since = 0
  for await (const chunk of chunks) {
    yield chunk
    since += chunk.length
    if (collect !== null && since >= every) {
      since = 0
      collect({type: 'minor'})
    }
  }
}
