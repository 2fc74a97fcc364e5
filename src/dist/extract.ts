// Streams a tar into a directory as root, faithful to `bsdtar -xpf --numeric-owner`, in a worker thread of its own.
import fs from 'node:fs'
import type {Readable} from 'node:stream'
import {isMainThread, parentPort, Worker, workerData} from 'node:worker_threads'

import {OperationError} from '../errors.js'
import type {ExtractProgress, ExtractResult} from './extract-result.js'
import {startExtraction, type EngineOptions} from './tar-extraction.js'

export {safePath} from './tar-entry.js'
export type {CheckedArchive, EntryMeta, ExtractedTree, ExtractProgress, ExtractResult} from './extract-result.js'

/** The engine's options less its stop hook, which the signal replaces, and the gate, which restore uses directly. */
export interface ExtractOptions extends Omit<EngineOptions, 'onStop' | 'gate'> {
  signal?: AbortSignal
  /**
   * The input's chunks are this extraction's alone (a child's stdout read by nobody else): they are moved to the
   * worker rather than copied. Never for a stream whose chunks another reader still holds.
   */
  ownChunks?: boolean
}

/**
 * Bytes handed to the worker and not yet taken by its parser. Above HIGH the input is paused, below LOW resumed:
 * memory stays bounded whatever the producer's speed, and a producer such as `xz -dc` is never starved either.
 */
const BACKLOG_HIGH = 16 * 1024 * 1024
const BACKLOG_LOW = 4 * 1024 * 1024
/**
 * Messages cost a thread hop each: chunks read in one turn of the event loop go over as one message (at most
 * MESSAGE_BYTES), and the worker acknowledges what its parser took per ACK_BYTES or when it runs out of input.
 */
const MESSAGE_BYTES = 1024 * 1024
const ACK_BYTES = 4 * MESSAGE_BYTES
const WORKER_ROLE = 'tsez-extract'

interface WorkerInput {
  role: typeof WORKER_ROLE
  destination: string
  options: Pick<EngineOptions, 'over' | 'fifos'>
}

type ToWorker = {type: 'chunks'; data: Uint8Array[]} | {type: 'end'} | {type: 'stop'}
type FromWorker =
  | {type: 'taken'; bytes: number}
  | {type: 'progress'; progress: ExtractProgress}
  | {type: 'stopping'}
  | {type: 'done'; result: ExtractResult}
  | {type: 'failed'; message: string}

/**
 * Extracts an uncompressed tar stream into `destination`, which must exist and be empty (or hold just `over`); see
 * tar-extraction.ts for what is made and refused. The parsing and the file system calls run in a worker thread,
 * so this thread keeps reading the input (and feeding whatever produces it: the download, `xz -dc`'s stdin)
 * while files are written. On the first problem (or the signal) the input is destroyed, which stops a producer
 * such as `xz -dc`, and the promise settles only once the worker has closed its last file: nothing writes into
 * the destination after a rejection.
 */
export async function extractTar(
  input: NodeJS.ReadableStream | Readable,
  destination: string,
  options: ExtractOptions = {},
): Promise<ExtractResult> {
  const {signal, onProgress} = options
  signal?.throwIfAborted()
  if (!options.over && fs.readdirSync(destination).length > 0) {
    throw new OperationError(`cannot extract into ${destination}: the directory is not empty`)
  }
  const {over, fifos} = options
  const data: WorkerInput = {role: WORKER_ROLE, destination, options: {over, fifos}}
  const worker = new Worker(new URL(import.meta.url), {workerData: data})
  let failure: {error: Error} | undefined
  /** The worker failed: its own message is the one to report, whatever the destroyed input says next. */
  let workerStopped = false
  /** Bytes handed to the worker and not yet taken by its parser; `pending` ones are read but not yet handed. */
  let sent = 0
  let inputEnded = false
  let finished = false
  const send = (message: ToWorker) => worker.postMessage(message)
  const stopWith = (error: unknown) => {
    if (failure || workerStopped) return
    failure = {error: error instanceof Error ? error : new Error(String(error))}
    send({type: 'stop'})
    if ('destroy' in input) input.destroy()
  }

  const settled = new Promise<ExtractResult>((resolve, reject) => {
    worker.on('message', (message: FromWorker) => {
      switch (message.type) {
        case 'taken':
          sent -= message.bytes
          if (pendingBytes > 0 && sent < MESSAGE_BYTES) queueFlush()
          if (sent + pendingBytes < BACKLOG_LOW && input.isPaused() && !failure && !workerStopped) input.resume()
          return
        case 'progress':
          return onProgress?.(message.progress)
        case 'stopping':
          workerStopped = true
          if ('destroy' in input) input.destroy()
          return
        case 'done':
          return failure ? reject(failure.error) : resolve(message.result)
        case 'failed':
          return reject(failure ? failure.error : new OperationError(message.message))
      }
    })
    // A worker that could not start or died: nothing reads the input any more, so its producer is stopped too.
    const lost = (why: string) => {
      if (finished) return // terminate() after the result: the end of a worker that did its job
      workerStopped = true
      if ('destroy' in input) input.destroy()
      reject(new OperationError(`tar extraction failed: ${why}`))
    }
    worker.on('error', (error) => lost(error.message))
    worker.on('exit', (code) => lost(`its thread exited (${code})`))
  })

  let pending: Buffer[] = []
  let pendingBytes = 0
  let flushQueued = false
  const flush = () => {
    flushQueued = false
    if (pendingBytes > 0 && !failure && !workerStopped) {
      const data = options.ownChunks ? pending.map(exclusively) : [Buffer.concat(pending, pendingBytes)]
      worker.postMessage(
        {type: 'chunks', data} satisfies ToWorker,
        data.flatMap((chunk) => (isExclusive(chunk) ? [chunk.buffer as ArrayBuffer] : [])),
      )
      sent += pendingBytes
    }
    pending = []
    pendingBytes = 0
  }
  const queueFlush = () => {
    if (flushQueued) return
    flushQueued = true
    setImmediate(flush)
  }
  const onData = (chunk: Buffer | string) => {
    if (failure || workerStopped) return
    if (typeof chunk === 'string') return stopWith(extractionError('the tar stream must yield bytes, not strings'))
    pending.push(chunk)
    pendingBytes += chunk.length
    // A worker with a MiB still to parse gets a MiB at once; one running dry gets what this turn read.
    if (pendingBytes >= MESSAGE_BYTES) flush()
    else if (sent < MESSAGE_BYTES) queueFlush()
    if (sent + pendingBytes > BACKLOG_HIGH) input.pause()
  }
  const onEnd = () => {
    inputEnded = true
    flush()
    if (!failure && !workerStopped) send({type: 'end'})
  }
  const onError = (error: Error) => stopWith(extractionError(error.message, error))
  // A stream destroyed without an error (by a caller) also ends the archive: the worker reports it truncated.
  const onClose = () => {
    if (inputEnded) return
    flush()
    if (!failure && !workerStopped) send({type: 'end'})
  }
  const onAbort = () => stopWith(signal?.reason)
  input.on('data', onData)
  input.on('end', onEnd)
  input.on('error', onError)
  input.on('close', onClose)
  signal?.addEventListener('abort', onAbort, {once: true})
  try {
    return await settled
  } finally {
    signal?.removeEventListener('abort', onAbort)
    input.off('data', onData)
    input.off('end', onEnd)
    input.off('close', onClose)
    input.on('error', () => {}) // a late error of a destroyed input has nobody left to tell
    input.off('error', onError)
    finished = true
    await worker.terminate()
  }
}

/** A view of a whole ArrayBuffer of its own: postMessage can move it (a pooled or partial view must be copied). */
function isExclusive(chunk: Uint8Array): boolean {
  return chunk.buffer instanceof ArrayBuffer && chunk.byteOffset === 0 && chunk.byteLength === chunk.buffer.byteLength
}

function exclusively(chunk: Buffer): Buffer {
  return isExclusive(chunk) ? chunk : Buffer.from(chunk)
}

function extractionError(message: string, cause?: unknown): OperationError {
  return new OperationError(`tar extraction failed: ${message}`, {cause})
}

/** The worker's side: chunks from the port into the engine, one at a time, acknowledged as the parser takes them. */
function serveExtraction(port: NonNullable<typeof parentPort>, input: WorkerInput): void {
  const queue: Buffer[] = []
  let ended = false
  let wake: (() => void) | undefined
  let untold = 0
  const tell = () => {
    if (untold > 0) port.postMessage({type: 'taken', bytes: untold} satisfies FromWorker)
    untold = 0
  }
  const chunks: AsyncIterable<Buffer> = {
    async *[Symbol.asyncIterator]() {
      for (;;) {
        const chunk = queue.shift()
        if (chunk !== undefined) {
          untold += chunk.length
          if (untold >= ACK_BYTES) tell()
          yield chunk
        } else if (ended) {
          return
        } else {
          tell()
          await new Promise<void>((resolve) => (wake = resolve))
        }
      }
    },
  }
  const arrived = () => {
    wake?.()
    wake = undefined
  }
  const running = startExtraction(chunks, input.destination, {
    ...input.options,
    onProgress: (progress) => port.postMessage({type: 'progress', progress} satisfies FromWorker),
    onStop: () => {
      ended = true
      queue.length = 0
      arrived()
      port.postMessage({type: 'stopping'} satisfies FromWorker)
    },
  })
  port.on('message', (message: ToWorker) => {
    if (message.type === 'chunks') {
      if (!ended)
        for (const data of message.data) queue.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength))
    } else if (message.type === 'end') {
      ended = true
    } else {
      running.stop(new Error('stopped'))
    }
    arrived()
  })
  running.result.then(
    (result) => port.postMessage({type: 'done', result} satisfies FromWorker),
    (error: unknown) => port.postMessage({type: 'failed', message: errorMessage(error)} satisfies FromWorker),
  )
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

if (!isMainThread && parentPort && (workerData as Partial<WorkerInput> | undefined)?.role === WORKER_ROLE) {
  serveExtraction(parentPort, workerData as WorkerInput)
}
