// A misbehaving HTTP mirror for the red-team suite: serves a release directory, with any path answered by a fault.
import {readFile} from 'node:fs/promises'
import {createServer, type IncomingMessage, type ServerResponse} from 'node:http'
import type {AddressInfo} from 'node:net'
import path from 'node:path'
import {gzipSync} from 'node:zlib'

/** Answers one request instead of the file; `file` holds the file's bytes (undefined when there is none). */
export type Fault = (request: IncomingMessage, response: ServerResponse, file: Buffer | undefined) => void

export interface FaultyMirror {
  /** Base URL, e.g. `http://127.0.0.1:40123` (no trailing slash). */
  url: string
  /** Answers requests for the URL path AT (e.g. `/releases/.../base.txz`) with FAULT; undefined clears it. */
  fault(at: string, fault: Fault | undefined): void
  close(): Promise<void>
}

/** Serves DIR over HTTP on 127.0.0.1, faults first. */
export async function serveFaulty(dir: string): Promise<FaultyMirror> {
  const faults = new Map<string, Fault>()
  const answer = (request: IncomingMessage, response: ServerResponse, file: Buffer | undefined) => {
    const fault = faults.get(new URL(request.url ?? '/', 'http://localhost').pathname)
    if (fault) return fault(request, response, file)
    if (file === undefined) return void response.writeHead(404).end('not found\n')
    response.writeHead(200, {'content-length': file.length, 'content-type': 'application/octet-stream'})
    response.end(file)
  }
  const server = createServer((request, response) => {
    const at = decodeURIComponent(new URL(request.url ?? '/', 'http://localhost').pathname)
    const file = path.join(dir, path.normalize(at))
    void readFile(file).then(
      (bytes) => answer(request, response, bytes),
      () => answer(request, response, undefined),
    )
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const {port} = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    fault: (at, fault) => void (fault ? faults.set(at, fault) : faults.delete(at)),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()))
        server.closeAllConnections()
      }),
  }
}

const headers = (length: number | undefined) => ({
  'content-type': 'application/octet-stream',
  ...(length === undefined ? {} : {'content-length': length}),
})
const bytesOf = (file: Buffer | undefined) => file ?? Buffer.alloc(0)

/** The usual faults. */
export const faults = {
  /** Status CODE with a one-line body. */
  status:
    (code: number): Fault =>
    (_request, response) =>
      void response.writeHead(code).end(`fault ${code}\n`),
  /** No answer at all: the connection is reset as soon as the request arrives. */
  hangUp: (): Fault => (_request, response) => void response.socket?.resetAndDestroy(),
  /** The full Content-Length, the first N bytes, then a TCP reset. */
  resetAfter:
    (n: number): Fault =>
    (_request, response, file) => {
      response.writeHead(200, headers(bytesOf(file).length))
      response.write(bytesOf(file).subarray(0, n), () => response.socket?.resetAndDestroy())
    },
  /** The full Content-Length, N bytes, silence for MS, then an orderly close. */
  stallThenClose:
    (n: number, ms: number): Fault =>
    (_request, response, file) => {
      response.writeHead(200, headers(bytesOf(file).length))
      response.write(bytesOf(file).subarray(0, n))
      setTimeout(() => response.socket?.end(), ms)
    },
  /** A redirect to LOCATION (a function of the request's own URL path). */
  redirect:
    (location: (at: string) => string, code = 302): Fault =>
    (request, response) =>
      void response.writeHead(code, {location: location(request.url ?? '/')}).end(),
  /** The whole file under a Content-Length of LENGTH (written raw: node:http would refuse the lie), then close. */
  lengthOf:
    (length: number): Fault =>
    (_request, response, file) => {
      response.socket?.write(`HTTP/1.1 200 OK\r\ncontent-length: ${length}\r\nconnection: close\r\n\r\n`)
      response.socket?.end(bytesOf(file))
    },
  /** The file gzip-compressed, served as it is (no Content-Encoding): other bytes than MANIFEST's. */
  gzipped: (): Fault => (_request, response, file) => {
    const body = gzipSync(bytesOf(file))
    response.writeHead(200, headers(body.length))
    response.end(body)
  },
  /** 200 with TEXT as the body. */
  body:
    (text: string): Fault =>
    (_request, response) => {
      response.writeHead(200, headers(Buffer.byteLength(text)))
      response.end(text)
    },
  /**
   * 200 and zeros, far more than any limit (at most BYTES, minding backpressure), under a Content-Length of LENGTH
   * or none (chunked); stops when the client goes.
   */
  flood:
    (bytes: number, length?: number): Fault =>
    (_request, response) => {
      response.writeHead(200, headers(length))
      const zeros = Buffer.alloc(1 << 16)
      let sent = 0
      const more = () => {
        while (sent < bytes && !response.destroyed) {
          sent += zeros.length
          if (!response.write(zeros)) return void response.once('drain', more)
        }
        response.end()
      }
      more()
    },
  /** The connection accepted and the request read, then never an answer (until the server closes). */
  silent: (): Fault => () => undefined,
  /** The full Content-Length, N bytes, then silence until the server closes. */
  stall:
    (n: number): Fault =>
    (_request, response, file) => {
      response.writeHead(200, headers(bytesOf(file).length))
      response.write(bytesOf(file).subarray(0, n))
    },
  /** The full Content-Length, then the file one byte every MS milliseconds, until the client goes. */
  trickle:
    (ms: number): Fault =>
    (_request, response, file) => {
      response.writeHead(200, headers(bytesOf(file).length))
      let sent = 0
      const timer = setInterval(() => {
        if (response.destroyed || sent === bytesOf(file).length) return void clearInterval(timer)
        response.write(bytesOf(file).subarray(sent, ++sent))
      }, ms)
      response.on('close', () => clearInterval(timer))
    },
  /**
   * BYTES (the file's own unless given) gzip-compressed under `Content-Encoding: gzip` and the compressed length;
   * SEEN collects the Accept-Encoding of each request.
   */
  contentEncodingGzip:
    (seen: string[], bytes?: Buffer): Fault =>
    (request, response, file) => {
      seen.push(request.headers['accept-encoding'] ?? '(none)')
      const body = gzipSync(bytes ?? bytesOf(file))
      response.writeHead(200, {...headers(body.length), 'content-encoding': 'gzip'})
      response.end(body)
    },
  /** 206 Partial Content: the first N bytes of the file, as if a range had been asked for. */
  partial:
    (n: number): Fault =>
    (_request, response, file) => {
      const body = bytesOf(file).subarray(0, n)
      response.writeHead(206, {...headers(body.length), 'content-range': `bytes 0-${n - 1}/${bytesOf(file).length}`})
      response.end(body)
    },
}
