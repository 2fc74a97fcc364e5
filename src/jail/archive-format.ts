// The tsez archive format (archive writes it, restore reads it): member names, the metadata and its checks, file names.
import {UsageError, quote} from '../errors.js'
import {JAIL_RECORD_VERSION, type JailRecord} from './store.js'

/** Bumped when the layout or the metadata changes; restore refuses versions it does not know. */
export const ARCHIVE_FORMAT_VERSION = 1

/** The members, in this order: the metadata first (restore reads it before anything else), then the files. */
export const ARCHIVE_MEMBERS = {meta: 'tsez-archive.json', conf: 'jail.conf', fstab: 'fstab', root: 'root'} as const

/** The metadata member is small; anything bigger is not tsez's. */
export const MAX_META_BYTES = 1024 * 1024

export type Compression = 'xz' | 'zstd' | 'none'
export const COMPRESSIONS: readonly Compression[] = ['xz', 'zstd', 'none']

export interface ArchiveMeta {
  format: 'tsez-archive'
  version: typeof ARCHIVE_FORMAT_VERSION
  /** The jail's record as it was on the host that made the archive. */
  jail: JailRecord
  /** The basejail's userland when the archive was made. */
  release: string
  /** MACHINE/ARCH of the host that made it. */
  arch: string
  host: string
  created: string
  /** The tsez version that wrote it. */
  tsez: string
  compression: Compression
  /** Entries under root/ and the bytes of their regular files, as counted just before packing. */
  entries: number
  bytes: number
}

/** NAME-YYYYMMDDTHHMMSSZ.tsez.tar[.xz|.zst] */
export function archiveFileName(name: string, now: Date, compression: Compression): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')
  return `${name}-${stamp}.tsez.tar${suffixOf(compression)}`
}

export function suffixOf(compression: Compression): string {
  return compression === 'xz' ? '.xz' : compression === 'zstd' ? '.zst' : ''
}

/** A partial archive: `.FINAL.partial-HEX` beside where FINAL goes. */
export const PARTIAL_ARCHIVE = /^\..+\.tsez\.tar(?:\.xz|\.zst)?\.partial-[0-9a-f]+$/
/** An archive's checksum file: FINAL.sha256. */
export const ARCHIVE_SHA256 = /^(.+\.tsez\.tar(?:\.xz|\.zst)?)\.sha256$/

/** The line sha256sum(1) prints and `sha256sum -c` reads. */
export function sha256Line(hex: string, fileName: string): string {
  return `${hex}  ${fileName}\n`
}

/** The hex digest in a .sha256 file for FILENAME (sha256sum's format, or BSD sha256's `SHA256 (F) = HEX`). */
export function parseSha256File(text: string, fileName: string): string | undefined {
  for (const line of text.split('\n')) {
    const gnu = /^([0-9a-f]{64}) [ *](.+)$/i.exec(line.trim())
    if (gnu && gnu[2] === fileName) return gnu[1]?.toLowerCase()
    const bsd = /^SHA256 \((.+)\) = ([0-9a-f]{64})$/i.exec(line.trim())
    if (bsd && bsd[1] === fileName) return bsd[2]?.toLowerCase()
  }
  return undefined
}

/** The compression of a file from its first bytes: xz, zstd or a plain tar (ustar magic at 257); else undefined. */
export function detectCompression(head: Buffer): Compression | undefined {
  if (head.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return 'xz'
  if (head.subarray(0, 4).equals(Buffer.from([0x28, 0xb5, 0x2f, 0xfd]))) return 'zstd'
  if (head.length >= 262 && head.subarray(257, 262).toString('latin1') === 'ustar') return 'none'
  return undefined
}

/** The metadata member's text as ArchiveMeta, or a UsageError naming what is wrong (ARCHIVE shown in it). */
export function parseArchiveMeta(text: string, archive: string): ArchiveMeta {
  const bad = (why: string) => new UsageError(`${archive}: ${ARCHIVE_MEMBERS.meta} ${why}; not a tsez archive`)
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch {
    throw bad('is not valid JSON')
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw bad('is not a JSON object')
  const meta = raw as Record<string, unknown>
  if (meta.format !== 'tsez-archive') throw bad('does not say format "tsez-archive"')
  if (meta.version !== ARCHIVE_FORMAT_VERSION) {
    throw new UsageError(
      `${archive}: archive format version ${quote(String(meta.version))} is not one this tsez reads ` +
        `(${ARCHIVE_FORMAT_VERSION}); restore it with the tsez that wrote it`,
    )
  }
  for (const key of ['release', 'arch', 'host', 'created', 'tsez'] as const) {
    if (typeof meta[key] !== 'string') throw bad(`lacks ${key}`)
    if (!isPlainText(meta[key])) throw bad(`has a ${key} that is not one line of plain text`)
  }
  if (!COMPRESSIONS.includes(meta.compression as Compression)) throw bad('names no known compression')
  for (const key of ['entries', 'bytes'] as const) {
    if (!Number.isSafeInteger(meta[key]) || (meta[key] as number) < 0) throw bad(`has no valid ${key}`)
  }
  const problem = recordProblem(meta.jail)
  if (problem !== undefined) throw bad(`holds no valid jail record (${problem})`)
  return meta as unknown as ArchiveMeta
}

function recordProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not an object'
  const record = value as Record<string, unknown>
  if (record.version !== JAIL_RECORD_VERSION) return `record version ${String(record.version)}`
  for (const key of ['name', 'hostname', 'root', 'release', 'created'] as const) {
    if (typeof record[key] !== 'string') return `${key} is not a string`
  }
  for (const key of ['release', 'created'] as const) {
    if (!isPlainText(record[key])) return `${key} is not one line of plain text`
  }
  for (const key of ['addresses', 'flavours', 'depend'] as const) {
    const list = record[key]
    if (!Array.isArray(list) || !list.every((item) => typeof item === 'string'))
      return `${key} is not a list of strings`
  }
  if (!(record.flavours as string[]).every((flavour) => isPlainText(flavour) && !flavour.includes('/'))) {
    return 'a flavour is not a plain name'
  }
  if (typeof record.run !== 'boolean') return 'run is not a boolean'
  if (typeof record.params !== 'object' || record.params === null || Array.isArray(record.params)) {
    return 'params is not an object'
  }
  return undefined
}

/**
 * Text tsez shows and keeps as it is (host, dates, releases, flavour names): one line, no control character
 * (an escape sequence would reach the terminal), at most 255 characters.
 */
function isPlainText(value: unknown): value is string {
  return typeof value === 'string' && value.length <= 255 && !/[\p{C}\p{Zl}\p{Zp}]/u.test(value)
}
