// Tar headers as bsdtar writes them: ustar, with a pax extended header for what ustar cannot hold and for file flags.
import {Header, type HeaderData} from 'tar'

import {OperationError, quote} from '../errors.js'
import {hasRawBytes, nameBytes} from '../system/byte-names.js'

const BLOCK = 512
/** The largest size, owner and group a ustar header holds (octal fields); beyond them pax records carry the value. */
const MAX_USTAR_SIZE = 0o77777777777
const MAX_USTAR_ID = 0o7777777
/** The pax records (hex of the bytes) tsez reads a name or link target from when it is not UTF-8. */
export const RAW_PATH = 'TSEZ.rawpath'
export const RAW_LINKPATH = 'TSEZ.rawlinkpath'

/**
 * A pax extended header when a value does not fit ustar (or flags are set), then the ustar header. A name or link
 * target holding bytes that are not UTF-8 (kept by nameText) is written as those bytes, with `hdrcharset=BINARY`
 * as bsdtar writes it, and again as hex in TSEZ.rawpath / TSEZ.rawlinkpath: node-tar reads pax values as UTF-8
 * text, which would turn each such byte into U+FFFD.
 */
export function* tarHeaderBlocks(data: HeaderData, fflags: string | undefined): Generator<Buffer> {
  if (data.type === 'Directory' && !(data.path ?? '').endsWith('/')) data.path = `${data.path}/`
  const records: Array<[string, string]> = []
  const name = data.path ?? ''
  const rawName = hasRawBytes(name)
  const rawLink = data.linkpath !== undefined && hasRawBytes(data.linkpath)
  if (rawName || rawLink) records.push(['hdrcharset', 'BINARY'])
  if (needsRecord(name, 'name')) records.push(['path', name])
  if (rawName) records.push([RAW_PATH, nameBytes(name).toString('hex')])
  if (data.linkpath !== undefined && needsRecord(data.linkpath, 'symlink target')) {
    records.push(['linkpath', data.linkpath])
  }
  if (rawLink && data.linkpath !== undefined) records.push([RAW_LINKPATH, nameBytes(data.linkpath).toString('hex')])
  if ((data.size ?? 0) > MAX_USTAR_SIZE) records.push(['size', String(data.size)])
  if ((data.uid ?? 0) > MAX_USTAR_ID) records.push(['uid', String(data.uid)])
  if ((data.gid ?? 0) > MAX_USTAR_ID) records.push(['gid', String(data.gid)])
  if (fflags !== undefined) records.push(['SCHILY.fflags', fflags])
  if (records.length > 0) {
    const body = Buffer.concat(records.map(([key, value]) => paxRecord(key, value)))
    yield encode({path: 'PaxHeader/entry', type: 'ExtendedHeader', size: body.length, mode: 0o644, mtime: data.mtime})
    yield* padded(body)
  }
  yield encode(data)
}

/** ASCII and short enough for the ustar name field as it is (no prefix split: pax says it plainly). */
function fitsUstar(name: string): boolean {
  return name.length < 100 && /^[\x20-\x7e]*$/.test(name)
}

/**
 * Why VALUE (a WHAT: name, symlink target) cannot be written so that it reads back: node-tar's pax reader splits
 * records at newlines, so a record holding `a\n10 size=0` would read back as a record of its own (a size, a path),
 * and the archive as another one. A value with a newline fits only in the ustar field (any byte but NUL, < 100).
 */
export function unstorableProblem(value: string, what: string): string | undefined {
  if (!value.includes('\n') || nameBytes(value).length < 100) return undefined
  return `a ${what} holding a newline and longer than 99 bytes cannot be stored so that it reads back (${quote(value)})`
}

/** Whether VALUE (a WHAT) goes in a pax record: never one holding a newline (unstorableProblem). */
function needsRecord(value: string, what: string): boolean {
  if (fitsUstar(value)) return false
  const problem = unstorableProblem(value, what)
  if (problem !== undefined) throw new OperationError(`cannot archive it: ${problem}; rename it`)
  return !value.includes('\n')
}

/** `LEN key=value\n`, LEN counting its own digits; VALUE as the bytes it stands for (nameBytes). */
function paxRecord(key: string, value: string): Buffer {
  const rest = Buffer.concat([Buffer.from(` ${key}=`), nameBytes(value), Buffer.from('\n')])
  const bytes = rest.length
  let length = bytes + String(bytes).length
  if (String(length).length + bytes !== length) length++
  return Buffer.concat([Buffer.from(String(length)), rest])
}

function encode(data: HeaderData): Buffer {
  const header = new Header(data)
  header.encode()
  if (header.block === undefined) throw new OperationError(`cannot encode the tar header of ${data.path ?? ''}`)
  return header.block
}

function* padded(body: Buffer): Generator<Buffer> {
  yield body
  const pad = (BLOCK - (body.length % BLOCK)) % BLOCK
  if (pad > 0) yield Buffer.alloc(pad)
}

/** The zero bytes that follow SIZE bytes of member data up to the block size. */
export function tarPadding(size: number): Buffer {
  return Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK)
}
