// Hand-made tar archives for the restore red-team suite: any member name, type, link target and declared size.
import {execFileSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import {writeFileSync} from 'node:fs'
import path from 'node:path'

import {Header} from 'tar'

/** node-tar's entry type names (not exported from its index). */
type EntryTypeName =
  'File' | 'Link' | 'SymbolicLink' | 'CharacterDevice' | 'BlockDevice' | 'Directory' | 'FIFO' | 'ExtendedHeader'

export interface Member {
  path: string
  type?: EntryTypeName
  body?: string | Buffer
  /** Declared size when it differs from the body's (a lie). */
  size?: number
  linkpath?: string
  mode?: number
}

/** Tar blocks for MEMBERS, then the end-of-archive marker unless END is false. */
export function tarOf(members: Member[], end = true): Buffer {
  const blocks: Buffer[] = []
  for (const member of members) {
    const body = Buffer.from(member.body ?? '')
    const type = member.type ?? 'File'
    const header = new Header({
      path: member.path,
      type,
      size: member.size ?? body.length,
      mode: member.mode ?? (type === 'Directory' ? 0o755 : 0o644),
      uid: 0,
      gid: 0,
      mtime: new Date(1_700_000_000_000),
      linkpath: member.linkpath,
    })
    header.encode()
    if (header.block === undefined) throw new Error(`cannot encode ${member.path}`)
    blocks.push(header.block, body, Buffer.alloc((512 - (body.length % 512)) % 512))
  }
  if (end) blocks.push(Buffer.alloc(1024))
  return Buffer.concat(blocks)
}

/** A pax extended header member (for the member after it) holding KEY=VALUE. */
export function paxMember(key: string, value: string): Member {
  const rest = ` ${key}=${value}\n`
  let length = rest.length + String(rest.length).length
  if (String(length).length + rest.length !== length) length++
  return {path: 'PaxHeader/x', type: 'ExtendedHeader', body: `${length}${rest}`}
}

/** The members of a valid small archive: META as tsez-archive.json, jail.conf, fstab, root/, root/etc/. */
export function validMembers(meta: string): Member[] {
  return [
    {path: 'tsez-archive.json', body: meta},
    {path: 'jail.conf', body: 'web1 {}\n'},
    {path: 'fstab', body: ''},
    {path: 'root/', type: 'Directory'},
    {path: 'root/etc/', type: 'Directory'},
  ]
}

/** xz -c of BYTES. */
export function xz(bytes: Buffer): Buffer {
  return execFileSync('xz', ['-c'], {input: bytes, maxBuffer: 1 << 30})
}

/** Writes DIR/NAME with BYTES and NAME.sha256 in sha256sum's format (the true sum unless SUM is given). */
export function writeArchive(dir: string, name: string, bytes: Buffer, sum?: string): string {
  const file = path.join(dir, name)
  writeFileSync(file, bytes)
  const hex = sum ?? createHash('sha256').update(bytes).digest('hex')
  writeFileSync(`${file}.sha256`, `${hex}  ${name}\n`)
  return file
}
