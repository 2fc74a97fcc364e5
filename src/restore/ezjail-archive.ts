// ezjail archives (`ezjail-admin archive`): gzip'd cpio or tar of prop.ezjail-TAG, fstab.ezjail and ezjail/…, read as tsez's.
import type {TsezConfig} from '../config.js'
import {UsageError, quote} from '../errors.js'
import {ARCHIVE_FORMAT_VERSION, MAX_META_BYTES, type ArchiveMeta} from '../jail/archive-format.js'
import {JAIL_RECORD_VERSION} from '../jail/store.js'
import {readEzjailJail} from '../jail/ezjail-jail.js'
import {cpioToTar} from './cpio.js'
import type {ArchiveLayout} from './inspect.js'

/**
 * prop.ezjail-SAFENAME-YYYYmmddHHMM.SS-HOST-OSRELEASE-CPU[-IMAGESIZE][.norun]: ezjail's tag, each uname field with
 * every character but [A-Za-z0-9.] turned into _ (so the fields never hold a -).
 */
const PROP =
  /^prop\.ezjail-([A-Za-z0-9_]+)-(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)\.(\d\d)-([\w.]*)-([\w.]*)-(\w*)(-\d+)?(\.norun)?$/

export function isGzip(head: Buffer): boolean {
  return head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b
}

/** Where an ezjail archive keeps what: the prop file first, fstab.ezjail, the tree under ezjail/. */
export function ezjailLayout(config: TsezConfig): ArchiveLayout {
  return {
    members: {
      kind: 'an ezjail archive',
      meta: {shown: 'prop.ezjail-NAME-DATE-HOST-RELEASE-CPU', pattern: '^prop\\.ezjail-'},
      small: ['fstab.ezjail'],
      smallBytes: MAX_META_BYTES,
      tree: 'ezjail',
    },
    parseMeta: (rel, text, file) => ezjailMeta(rel, text, file, config),
  }
}

/**
 * The jail an ezjail prop file describes, as the metadata of a tsez archive: its name and hostname, addresses,
 * norun and parameters read as `tsez import ezjail` reads a jail file (never run: shell in it is refused), its
 * release, host, CPU and date from the tag. Image jails are refused, as import refuses them.
 */
export function ezjailMeta(rel: string, text: string, file: string, config: TsezConfig): ArchiveMeta {
  const match = PROP.exec(rel)
  if (match === null)
    throw new UsageError(`${file}: ${quote(rel)} is not ezjail's prop.ezjail-NAME-DATE-HOST-RELEASE-CPU`)
  const [, safe = '', year, month, day, hour, minute, second, host = '', release = '', cpu = '', size, norun] = match
  if (size !== undefined) throw new UsageError(`${file}: an image jail's archive; tsez does not manage md-backed jails`)
  const noHost = {jaildir: '/', basejail: '', newjail: '', flavours: '', useZfs: false, jailzfs: ''}
  const source = {fileName: `${safe}${norun ?? ''}`, path: `${file}:${rel}`, text, fstab: undefined}
  const read = readEzjailJail(source, noHost, config)
  if (!read.ok) throw new UsageError(read.reason)
  const {fields} = read.jail
  const created = `${year}-${month}-${day}T${hour}:${minute}:${second}Z`
  return {
    format: 'tsez-archive',
    version: ARCHIVE_FORMAT_VERSION,
    jail: {
      version: JAIL_RECORD_VERSION,
      name: fields.name,
      hostname: fields.hostname,
      root: fields.root,
      addresses: fields.addresses,
      flavours: [],
      run: fields.run,
      depend: [],
      params: fields.params,
      release: release.replace(/_/g, '-'),
      created,
    },
    release: release.replace(/_/g, '-'),
    arch: cpu,
    host,
    created,
    tsez: 'ezjail-admin archive',
    compression: 'none',
    entries: 0,
    bytes: 0,
  }
}

/** A decompressed ezjail archive as tar: a cpio (pax -x cpio) re-encoded, a tar as it is, anything else refused. */
export async function* ezjailTar(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const iterator = source[Symbol.asyncIterator]()
  const chunks: Buffer[] = []
  let length = 0
  while (length < 512) {
    const next = await iterator.next()
    if (next.done === true) break
    chunks.push(next.value)
    length += next.value.length
  }
  const head = Buffer.concat(chunks)
  async function* rest(): AsyncGenerator<Buffer> {
    yield head
    for (let next = await iterator.next(); next.done !== true; next = await iterator.next()) yield next.value
  }
  if (head.subarray(0, 6).toString('latin1') === '070707') yield* cpioToTar(rest())
  else if (head.length >= 262 && head.subarray(257, 262).toString('latin1') === 'ustar') yield* rest()
  else throw new UsageError('a gzip file holding neither a cpio nor a tar archive: not an ezjail archive')
}
