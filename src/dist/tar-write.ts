// Tar headers as bsdtar writes them: ustar, with a pax extended header for what ustar cannot hold and for file flags.
import {Header, type HeaderData} from 'tar'

import {OperationError} from '../errors.js'

const BLOCK = 512
/** The largest size, owner and group a ustar header holds (octal fields); beyond them pax records carry the value. */
const MAX_USTAR_SIZE = 0o77777777777
const MAX_USTAR_ID = 0o7777777

/** A pax extended header when a value does not fit ustar (or flags are set), then the ustar header. */
export function* tarHeaderBlocks(data: HeaderData, fflags: string | undefined): Generator<Buffer> {
  if (data.type === 'Directory' && !(data.path ?? '').endsWith('/')) data.path = `${data.path}/`
  const records: Array<[string, string]> = []
  const name = data.path ?? ''
  if (!fitsUstar(name)) records.push(['path', name])
  if (data.linkpath !== undefined && !fitsUstar(data.linkpath)) records.push(['linkpath', data.linkpath])
  if ((data.size ?? 0) > MAX_USTAR_SIZE) records.push(['size', String(data.size)])
  if ((data.uid ?? 0) > MAX_USTAR_ID) records.push(['uid', String(data.uid)])
  if ((data.gid ?? 0) > MAX_USTAR_ID) records.push(['gid', String(data.gid)])
  if (fflags !== undefined) records.push(['SCHILY.fflags', fflags])
  if (records.length > 0) {
    const body = Buffer.from(records.map(([key, value]) => paxRecord(key, value)).join(''))
    yield encode({path: 'PaxHeader/entry', type: 'ExtendedHeader', size: body.length, mode: 0o644, mtime: data.mtime})
    yield* padded(body)
  }
  yield encode(data)
}

/** ASCII and short enough for the ustar name field as it is (no prefix split: pax says it plainly). */
function fitsUstar(name: string): boolean {
  return name.length < 100 && /^[\x20-\x7e]*$/.test(name)
}

/** `LEN key=value\n`, LEN counting its own digits. */
function paxRecord(key: string, value: string): string {
  const rest = ` ${key}=${value}\n`
  const bytes = Buffer.byteLength(rest)
  let length = bytes + String(bytes).length
  if (String(length).length + bytes !== length) length++
  return `${length}${rest}`
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
