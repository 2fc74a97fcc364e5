// The files a jail has on the host (jail.conf, fstab), rendered from its record, and telling tsez's own from a user's.
import {open} from 'node:fs/promises'

import type {TsezConfig} from '../config.js'
import {jailConfSpecFor} from './conf-spec.js'
import type {JailRecord} from './store.js'
import {renderJailConf} from './conf-render.js'
import {basejailFstabEntry, renderFstab} from './fstab.js'

/** jail(8) cuts fstab lines at `#`, so this header is a comment to it and tsez's mark of ownership. */
function fstabHeader(name: string): string {
  return `# Jail ${name}, written by tsez: the read-only basejail mount.\n`
}

export function renderJailFstab(config: TsezConfig, record: JailRecord): string {
  return fstabHeader(record.name) + renderFstab([basejailFstabEntry(config.basejail, record.root)])
}

export function renderJailConfFor(config: TsezConfig, record: JailRecord): string {
  return renderJailConf(jailConfSpecFor(config, record))
}

export type Ownership = 'missing' | 'tsez' | 'foreign'

/** Whether FILE (NAME's conf or fstab) is absent, written by tsez (its first line), or someone else's. */
export async function ownershipOf(file: string, name: string): Promise<Ownership> {
  let handle
  try {
    handle = await open(file, 'r')
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : 'foreign'
  }
  try {
    const buffer = Buffer.alloc(200)
    const {bytesRead} = await handle.read(buffer, 0, buffer.length, 0)
    const head = buffer.subarray(0, bytesRead).toString('utf8')
    return head.startsWith(`# Jail ${name}, written by tsez`) ? 'tsez' : 'foreign'
  } finally {
    await handle.close()
  }
}
