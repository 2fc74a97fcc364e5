// Filters an uncompressed tar stream down to the entries etcupdate's stock tree keeps: ./etc, ./var, ./root, /.dotfiles.
import {Transform, type TransformCallback} from 'node:stream'

import {OperationError} from '../errors.js'

const BLOCK = 512

/** True for the paths `etcupdate build` leaves in its tree (etcupdate.sh build_tree: etc, var, root, dot files). */
export function keptByEtcupdate(entryPath: string): boolean {
  const relative = entryPath.replace(/^(\.\/)+/, '').replace(/\/+$/, '')
  if (relative === '' || relative === '.') return true
  const [top = ''] = relative.split('/')
  if (top === 'etc' || top === 'var' || top === 'root') return true
  return !relative.includes('/') && relative.startsWith('.') && relative !== '..'
}

type State =
  | {kind: 'header'}
  | {kind: 'meta'; type: string; size: number; header: Buffer}
  | {kind: 'data'; left: number; keep: boolean}
  | {kind: 'trailer'}

/**
 * Passes through only the entries whose path `keep` accepts, with their pax / GNU long-name headers; global pax
 * headers and the end-of-archive blocks always pass. The output is a valid tar stream for extractTar.
 */
export function tarEntryFilter(keep: (entryPath: string) => boolean = keptByEtcupdate): Transform {
  let pending: Buffer = Buffer.alloc(0)
  let state: State = {kind: 'header'}
  /** pax 'x' and GNU 'L'/'K' blocks waiting for the entry they describe. */
  let carried: Buffer[] = []
  let longPath: string | undefined

  const step = (out: (b: Buffer) => void): boolean => {
    if (state.kind === 'trailer') {
      out(pending)
      pending = Buffer.alloc(0)
      return false
    }
    if (state.kind === 'data') {
      const take = Math.min(state.left, pending.length)
      if (take === 0) return false
      if (state.keep) out(pending.subarray(0, take))
      pending = pending.subarray(take)
      state.left -= take
      if (state.left === 0) state = {kind: 'header'}
      return true
    }
    if (state.kind === 'meta') {
      const padded = roundUp(state.size)
      if (pending.length < padded) return false
      const body = pending.subarray(0, padded)
      pending = pending.subarray(padded)
      const content = body.subarray(0, state.size)
      if (state.type === 'g') out(Buffer.concat([state.header, body]))
      else {
        carried.push(state.header, body)
        if (state.type === 'x') longPath = paxPath(content) ?? longPath
        else if (state.type === 'L') longPath = content.toString('utf8').replace(/\0.*$/s, '')
      }
      state = {kind: 'header'}
      return true
    }
    if (pending.length < BLOCK) return false
    const header = pending.subarray(0, BLOCK)
    pending = pending.subarray(BLOCK)
    if (header.every((byte) => byte === 0)) {
      out(header)
      state = {kind: 'trailer'}
      return true
    }
    const type = String.fromCharCode(header[156] ?? 0x30)
    const size = entrySize(header)
    if (type === 'x' || type === 'g' || type === 'L' || type === 'K') {
      state = {kind: 'meta', type, size, header: Buffer.from(header)}
      return true
    }
    const name = longPath ?? ustarPath(header)
    const kept = keep(name)
    if (kept) {
      for (const part of carried) out(part)
      out(header)
    }
    carried = []
    longPath = undefined
    // Like node-tar (extractTar's parser), the size field says how many data bytes follow, whatever the type.
    const dataBytes = roundUp(size)
    state = dataBytes > 0 ? {kind: 'data', left: dataBytes, keep: kept} : {kind: 'header'}
    return true
  }

  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk])
      try {
        while (step((b) => this.push(b)));
        callback()
      } catch (error) {
        callback(error as Error)
      }
    },
    flush(callback: TransformCallback) {
      if (state.kind !== 'trailer' && (pending.length > 0 || state.kind !== 'header')) {
        callback(new OperationError('the base set ends in the middle of a tar entry: it is truncated or damaged'))
        return
      }
      callback()
    },
  })
}

function roundUp(size: number): number {
  return Math.ceil(size / BLOCK) * BLOCK
}

function field(header: Buffer, start: number, length: number): string {
  const raw = header.subarray(start, start + length)
  const end = raw.indexOf(0)
  return raw.subarray(0, end < 0 ? length : end).toString('utf8')
}

function ustarPath(header: Buffer): string {
  const name = field(header, 0, 100)
  const ustar = field(header, 257, 6).startsWith('ustar')
  const prefix = ustar ? field(header, 345, 155) : ''
  return prefix ? `${prefix}/${name}` : name
}

/** Octal, or base-256 when the high bit of the first byte is set (GNU/star extension for large files). */
function entrySize(header: Buffer): number {
  const raw = header.subarray(124, 136)
  if ((raw[0] ?? 0) & 0x80) {
    let value = (raw[0] ?? 0) & 0x7f
    for (const byte of raw.subarray(1)) value = value * 256 + byte
    return value
  }
  const text = field(header, 124, 12).trim()
  const size = text === '' ? 0 : parseInt(text, 8)
  if (!Number.isFinite(size) || size < 0) throw new OperationError('the base set has a tar header with a bad size')
  return size
}

/** The `path` record of a pax extended header ("LEN key=value\n" records, LEN counted in bytes). */
function paxPath(content: Buffer): string | undefined {
  let offset = 0
  let found: string | undefined
  while (offset < content.length) {
    const space = content.indexOf(0x20, offset)
    if (space < 0) break
    const length = Number(content.subarray(offset, space).toString('ascii'))
    if (!Number.isInteger(length) || length <= 0) break
    const record = content.subarray(space + 1, offset + length - 1).toString('utf8')
    const equals = record.indexOf('=')
    if (equals > 0 && record.slice(0, equals) === 'path') found = record.slice(equals + 1)
    offset += length
  }
  return found
}
