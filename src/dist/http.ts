// Asks an HTTP mirror within bounds: a deadline for its answer, a size cap, no stalled or trickled body, no encoding.
import {Readable} from 'node:stream'
import type {ReadableStreamDefaultReader} from 'node:stream/web'

import {OperationError} from '../errors.js'

const MiB = 1 << 20

/** How long and how much tsez takes from a mirror. */
export interface FetchLimits {
  /** The most bytes one set may have: a larger Content-Length is refused unread, a longer body cut off. */
  maxSetBytes: number
  /**
   * How long tsez waits for the mirror: for its answer, and for each piece of a body it asked for. Over every
   * stretch of this much waiting, a body must also bring at least MIN_BYTES_PER_SECOND.
   */
  timeoutMs: number
}

/** FreeBSD's MANIFEST is a dozen short lines: a body of more is not a MANIFEST. */
export const MANIFEST_MAX_BYTES = MiB
/** The floor under a body's rate while tsez waits for it (a 56k modem brings 7 KiB/s). */
const MIN_BYTES_PER_SECOND = 1024

/** About ten times FreeBSD's largest set tsez installs (src.txz, about 200 MB in 14.x); one minute of silence. */
export const DEFAULT_FETCH_LIMITS: FetchLimits = {maxSetBytes: 2048 * MiB, timeoutMs: 60_000}

/** The default limits, changed by TSEZ_FETCH_TIMEOUT (seconds) and TSEZ_SET_MAX_MIB when they are positive numbers. */
export function fetchLimits(env: NodeJS.ProcessEnv): FetchLimits {
  const positive = (value: string | undefined) =>
    Number(value) > 0 && Number.isFinite(Number(value)) ? Number(value) : 0
  return {
    maxSetBytes: positive(env.TSEZ_SET_MAX_MIB) * MiB || DEFAULT_FETCH_LIMITS.maxSetBytes,
    timeoutMs: positive(env.TSEZ_FETCH_TIMEOUT) * 1000 || DEFAULT_FETCH_LIMITS.timeoutMs,
  }
}

/** What one body may be: `what` names it in messages ("a set", "a MANIFEST"). */
export interface BodyLimit {
  maxBytes: number
  what: string
  timeoutMs: number
}

export interface MirrorAnswer {
  status: number
  ok: boolean
  /** `HTTP 500 Internal Server Error` */
  statusLine: string
  /** The body's length in bytes when the mirror announced it for the bytes as they are (no Content-Encoding). */
  length: number | undefined
  /** A Content-Encoding other than identity (sent although tsez asked for identity); the body is decoded. */
  encoding: string | undefined
  /** The body, bounded by the limit; refuses a Content-Length over it before reading anything. */
  body(): Readable
  /** Drops the body unread. */
  discard(): Promise<void>
}

/**
 * GETs URL (following redirects), asking for the bytes as they are (`Accept-Encoding: identity`): the sets are xz
 * already, and MANIFEST's sha256 is over their own bytes. A mirror that answers nothing within the limit fails.
 */
export async function httpGet(url: string, limit: BodyLimit): Promise<MirrorAnswer> {
  const controller = new AbortController()
  const deadline = setTimeout(() => controller.abort(), limit.timeoutMs).unref()
  let response: Response
  try {
    response = await fetch(url, {
      redirect: 'follow',
      headers: {'user-agent': 'tsez', 'accept-encoding': 'identity'},
      signal: controller.signal,
    })
  } catch (error) {
    const cause = controller.signal.aborted ? `no answer for ${seconds(limit.timeoutMs)}` : causeOf(error)
    throw new OperationError(`cannot reach ${url}: ${cause}`)
  } finally {
    clearTimeout(deadline)
  }
  const encoding = response.headers.get('content-encoding')?.trim()
  const encoded = encoding && encoding.toLowerCase() !== 'identity' ? encoding : undefined
  const announced = response.headers.get('content-length')
  const length = announced === null || encoded ? undefined : Number(announced)
  return {
    status: response.status,
    ok: response.ok,
    statusLine: `HTTP ${response.status} ${response.statusText}`.trim(),
    length: Number.isFinite(length) ? length : undefined,
    encoding: encoded,
    body: () => {
      if (Number(announced) > limit.maxBytes) {
        controller.abort()
        throw new OperationError(
          `download of ${url} refused: Content-Length ${announced} is over ${describeBytes(limit.maxBytes)}, the most ${limit.what} may have`,
        )
      }
      if (!response.body) return Readable.from([])
      const reader = response.body.getReader() as ReadableStreamDefaultReader<Uint8Array>
      return new MirrorBody(reader, limit, () => controller.abort())
    },
    discard: async () => response.body?.cancel(),
  }
}

/** A response body read one piece at a time, timed while tsez waits for each piece (never while it is busy). */
class MirrorBody extends Readable {
  #total = 0
  #waitedMs = 0
  #waitedBytes = 0
  #deadline: NodeJS.Timeout | undefined

  constructor(
    private readonly reader: ReadableStreamDefaultReader<Uint8Array>,
    private readonly limit: BodyLimit,
    private readonly abort: () => void,
  ) {
    super({highWaterMark: MiB})
  }

  override _read(): void {
    const started = performance.now()
    const silence = () => this.destroy(new OperationError(`no data for ${seconds(this.limit.timeoutMs)}`))
    this.#deadline = setTimeout(silence, this.limit.timeoutMs).unref()
    this.reader.read().then(
      ({done, value}) => {
        clearTimeout(this.#deadline)
        if (this.destroyed) return
        if (done) return void this.push(null)
        const problem = this.#account(value.length, performance.now() - started)
        if (problem) return void this.destroy(new OperationError(problem))
        this.push(value)
      },
      (error: Error) => this.destroy(error),
    )
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    clearTimeout(this.#deadline)
    this.abort()
    callback(error)
  }

  /** Counts BYTES that came after WAITED ms; says what is wrong when the body is too long or too slow. */
  #account(bytes: number, waitedMs: number): string | undefined {
    this.#total += bytes
    if (this.#total > this.limit.maxBytes) {
      return `more than ${describeBytes(this.limit.maxBytes)}, the most ${this.limit.what} may have`
    }
    this.#waitedMs += waitedMs
    this.#waitedBytes += bytes
    if (this.#waitedMs < this.limit.timeoutMs) return undefined
    const [got, waited] = [this.#waitedBytes, this.#waitedMs]
    this.#waitedMs = this.#waitedBytes = 0
    if (got >= (MIN_BYTES_PER_SECOND * waited) / 1000) return undefined
    return `only ${got} bytes in ${seconds(waited)} (the least tsez takes is ${MIN_BYTES_PER_SECOND / 1024} KiB/s)`
  }
}

/** The message of a failed fetch: undici's cause (ECONNREFUSED, ...) when it has one. */
export function causeOf(error: unknown): string {
  const cause = (error as {cause?: {message?: string; code?: string}}).cause
  if (cause?.code) return `${cause.code}${cause.message ? ` (${cause.message})` : ''}`
  return cause?.message ?? (error as Error).message ?? String(error)
}

function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`
}

function describeBytes(bytes: number): string {
  return bytes % MiB === 0 ? `${bytes / MiB} MiB` : `${bytes} bytes`
}
