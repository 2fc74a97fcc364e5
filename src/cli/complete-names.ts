// The names shell completion offers (tsez __complete): the jails tsez knows, the flavours in tsez_flavours.
import {readdir} from 'node:fs/promises'

import type {TsezConfig} from '../config.js'
import {listJailRecords} from '../jail/store.js'

export const COMPLETION_KINDS = ['jails', 'flavours'] as const
export type CompletionKind = (typeof COMPLETION_KINDS)[number]

/** Sorted names of KIND; nothing (never an error) when the directories are missing or unreadable. */
export async function completionNames(config: TsezConfig, kind: CompletionKind): Promise<string[]> {
  if (kind === 'jails') {
    const records = await listJailRecords(config).catch(() => [])
    return records.map((record) => record.name)
  }
  const entries = await readdir(config.flavours, {withFileTypes: true}).catch(() => [])
  return entries
    .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.'))
    .map((entry) => entry.name)
    .sort()
}
