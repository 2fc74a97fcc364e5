// Fetches MANIFEST and distribution sets from a mirror: streamed, sha256-verified, cached only once verified.
import {createHash} from 'node:crypto'
import {createReadStream} from 'node:fs'
import {readFile, stat} from 'node:fs/promises'
import path from 'node:path'
import {Transform, type Readable, type TransformCallback} from 'node:stream'

import {OperationError, quote} from '../errors.js'
import {startPartial, sweepPartials, usableCacheEntry} from './cache-entry.js'
import {causeOf, httpGet, MANIFEST_MAX_BYTES, type FetchLimits} from './http.js'
import {mirrorFileLocation, type Mirror} from './release.js'

export interface VerifiedSet {
  sha256: string
  bytes: number
  fromCache: boolean
}

export interface SetStream {
  /** The set's bytes; errors at its end if the sha256 does not match. */
  stream: Readable
  /** Resolves after the stream ended verified (a download is then complete and fsynced under a partial name). */
  verified: Promise<VerifiedSet>
  /**
   * Stops passing the bytes on and reads the rest only to finish the sha256 (after the consumer failed): `verified`
   * then still tells whether the body itself was damaged, short or cut off.
   */
  detach(): void
  /** Lands a verified download in the cache under its final name (call once the set was also extracted). */
  keep(): Promise<void>
  /** Removes a download's partial file (on any failure). */
  drop(): Promise<void>
}

/** The set's bytes are not what MANIFEST promised: a sha256 mismatch, a short body, a broken download. */
export class SetBodyError extends OperationError {}

export interface OpenSetOptions {
  mirror: Mirror
  file: string
  /** Expected sha256 from MANIFEST; undefined only with --no-verify. */
  sha256: string | undefined
  /** Directory of the cache for this release and platform. */
  cacheDir: string
  onBytes?: (bytes: number, total: number | undefined) => void
  /** One line for the log: a damaged cache entry was removed. */
  warn: (line: string) => void
  limits: FetchLimits
}

/** Reads MANIFEST text from the mirror, or undefined when the mirror has none (404 / ENOENT). */
export async function readMirrorFile(mirror: Mirror, file: string, limits: FetchLimits): Promise<string | undefined> {
  const location = mirrorFileLocation(mirror, file)
  if (mirror.kind === 'file') {
    try {
      return await readFile(location, 'utf8')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw new OperationError(`cannot read ${location}: ${(error as Error).message}`)
    }
  }
  const answer = await httpGet(location, {
    maxBytes: MANIFEST_MAX_BYTES,
    what: 'a MANIFEST',
    timeoutMs: limits.timeoutMs,
  })
  if (!answer.ok) {
    await answer.discard()
    if (answer.status === 404) return undefined
    throw new OperationError(`download of ${location} failed: ${answer.statusLine}`)
  }
  const body = answer.body()
  const chunks: Uint8Array[] = []
  try {
    for await (const chunk of body) chunks.push(chunk as Uint8Array)
  } catch (error) {
    throw new OperationError(`download of ${location} failed: ${causeOf(error)}`)
  }
  return Buffer.concat(chunks).toString('utf8')
}

/**
 * Opens a set for streaming: from the cache when a copy with the right sha256 is there, else from the mirror. Call
 * with the host lock held: partial downloads a killed run left are removed first.
 */
export async function openSet(options: OpenSetOptions): Promise<SetStream> {
  const {mirror, file, sha256} = options
  await sweepPartials(options.cacheDir)
  const cachePath = sha256 ? path.join(options.cacheDir, sha256, file) : undefined
  if (cachePath && sha256 && (await usableCacheEntry(cachePath, sha256, options.warn))) {
    const size = (await stat(cachePath)).size
    return verifying(createReadStream(cachePath, {highWaterMark: 1 << 20}), {...options, size, label: cachePath})
  }
  const location = mirrorFileLocation(mirror, file)
  if (mirror.kind === 'file') {
    let size: number
    try {
      size = (await stat(location)).size
    } catch {
      throw new OperationError(`set ${file} not found at ${location}`)
    }
    return verifying(createReadStream(location, {highWaterMark: 1 << 20}), {...options, size, label: location})
  }
  const limit = {maxBytes: options.limits.maxSetBytes, what: 'a set', timeoutMs: options.limits.timeoutMs}
  const answer = await httpGet(location, limit)
  if (!answer.ok) {
    await answer.discard()
    throw new OperationError(`download of ${location} failed: ${answer.statusLine}`)
  }
  const {length: size, encoding} = answer
  return verifying(answer.body(), {...options, size, encoding, label: location, cachePath})
}

interface VerifyOptions extends OpenSetOptions {
  size: number | undefined
  label: string
  /** The Content-Encoding the body was decoded from: the sha256 is over the decoded bytes. */
  encoding?: string
  /** When set, the bytes also go to a partial file that keep() renames to this path (verified and extracted). */
  cachePath?: string
}

function verifying(source: Readable, options: VerifyOptions): SetStream {
  const hash = createHash('sha256')
  let bytes = 0
  const partial = options.cachePath ? startPartial(options.cacheDir, options.file) : undefined
  let settle: {resolve: (v: VerifiedSet) => void; reject: (e: Error) => void} | undefined
  const verified = new Promise<VerifiedSet>((resolve, reject) => (settle = {resolve, reject}))
  verified.catch(() => undefined)
  const fail = (error: Error) => {
    settle?.reject(error) // first: the verification failure is the cause of whatever fails downstream
    if (partial) void partial.drop()
  }

  const checker = new Transform({
    highWaterMark: 1 << 20,
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      hash.update(chunk)
      bytes += chunk.length
      options.onBytes?.(bytes, options.size)
      if (!partial) return callback(null, chunk)
      partial.write(chunk).then(
        () => callback(null, chunk),
        (error: Error) =>
          callback(new OperationError(`cannot write to the cache ${options.cacheDir}: ${error.message}`)),
      )
    },
    flush(callback: TransformCallback) {
      const actual = hash.digest('hex')
      const problem =
        options.size !== undefined && bytes !== options.size
          ? `truncated: got ${bytes} of ${options.size} bytes`
          : options.sha256 && actual !== options.sha256
            ? `sha256 mismatch: MANIFEST says ${options.sha256}, got ${actual}${decodedFrom(options.encoding)}`
            : undefined
      if (problem) {
        const error = new SetBodyError(`${options.file} from ${options.label}: ${problem}`)
        fail(error)
        return callback(error)
      }
      void (partial ? partial.complete() : Promise.resolve()).then(
        () => {
          settle?.resolve({sha256: actual, bytes, fromCache: isInCache(options)})
          callback()
        },
        (error: Error) => {
          fail(error)
          callback(error)
        },
      )
    },
  })
  source.on('error', (error) => {
    const wrapped = new SetBodyError(`download of ${options.file} from ${options.label} failed: ${causeOf(error)}`)
    fail(wrapped)
    checker.destroy(wrapped)
  })
  checker.on('close', () => {
    source.destroy()
    if (!checker.writableFinished) fail(new OperationError(`reading ${options.file} was interrupted`))
  })
  return {
    stream: source.pipe(checker),
    verified,
    detach: () => {
      checker.unpipe()
      checker.resume()
    },
    keep: async () => {
      if (partial && options.cachePath) await partial.land(options.cachePath)
    },
    drop: async () => partial?.drop(),
  }
}

function isInCache(options: VerifyOptions): boolean {
  return Boolean(options.sha256) && options.label.startsWith(options.cacheDir + path.sep)
}

function decodedFrom(encoding: string | undefined): string {
  return encoding ? ` (after decoding the Content-Encoding ${quote(encoding)} the mirror sent)` : ''
}
