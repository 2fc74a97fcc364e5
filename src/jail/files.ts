// The files a jail has on the host (jail.conf, fstab), rendered from its record.
import type {TsezConfig} from '../config.js'
import {jailConfSpecFor} from './conf-spec.js'
import type {JailRecord} from './store.js'
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
