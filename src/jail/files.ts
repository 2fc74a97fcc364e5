// The files a jail has on the host (jail.conf, fstab), rendered from its record.
import type {TsezConfig} from '../config.js'
import {jailConfSpecFor} from './conf-spec.js'
import {jailFiles, writeJailRecord, type JailRecord} from './store.js'
import {writeFileAtomic} from '../system/files.js'
import {renderJailConf} from './conf-render.js'
import {basejailFstabEntry, renderFstab} from './fstab.js'
import {ownershipMark} from './ownership.js'

/** jail(8) cuts fstab lines at `#`, so this header is a comment to it and tsez's mark of ownership. */
function fstabHeader(name: string): string {
  return `${ownershipMark(name)}: the read-only basejail mount.\n`
}

/** The basejail's read-only mount first (not for a thick jail), then the jail's own mounts (from an import). */
export function renderJailFstab(config: TsezConfig, record: JailRecord): string {
  const basejail = record.thick === true ? [] : [basejailFstabEntry(config.basejail, record.root)]
  const entries = [...basejail, ...(record.mounts ?? [])]
  return fstabHeader(record.name) + renderFstab(entries)
}

export function renderJailConfFor(config: TsezConfig, record: JailRecord): string {
  return renderJailConf(jailConfSpecFor(config, record))
}

/** Why RECORD's jail.conf or fstab cannot be written (the first problem), or undefined when both can. */
export function jailFilesProblem(config: TsezConfig, record: JailRecord): string | undefined {
  try {
    renderJailConfFor(config, record)
    renderJailFstab(config, record)
    return undefined
  } catch (error) {
    return (error as Error).message
  }
}

/** fstab, then jail.conf, then the record: the commit; a kill before it leaves tsez-marked files a rerun rewrites. */
export async function writeJailFilesAndRecord(config: TsezConfig, record: JailRecord): Promise<void> {
  const paths = jailFiles(config, record.name)
  await writeFileAtomic(paths.fstab, renderJailFstab(config, record), 0o644)
  await writeFileAtomic(paths.conf, renderJailConfFor(config, record), 0o644)
  await writeJailRecord(config, record)
}
