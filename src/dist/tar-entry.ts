// A tar entry as an extraction takes it: its path relative to the destination, and its owner, mode and times.
import type {ReadEntry} from 'tar'

import type {EntryMeta} from './extract-result.js'

/** The entry path relative to the destination ('' for the destination itself); absolute and `..` refused. */
export function safePath(entryPath: string): string {
  const parts = entryPath.split('/').filter((part) => part !== '' && part !== '.')
  if (entryPath.startsWith('/') || parts.includes('..')) throw new Error(`unsafe path in archive: ${entryPath}`)
  return parts.join('/')
}

/** The owner, mode and times bsdtar -p gives what it makes of ENTRY. */
export function meta(entry: ReadEntry): EntryMeta {
  const {mode, uid, gid, mtime} = entry
  if (mode === undefined || uid === undefined || gid === undefined || mtime === undefined) {
    throw new Error('the entry lacks a mode, owner or mtime')
  }
  return {mode, uid, gid, mtime, atime: entry.atime ?? mtime}
}
