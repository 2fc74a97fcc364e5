// doctor's pkgbase check: a basejail pkg installed needs the release's signing keys for every later tsez update.
import {readdir} from 'node:fs/promises'
import path from 'node:path'

import {readInstallRecord} from '../base/install-record.js'
import {fingerprintsDir, setPackage} from '../base/pkgbase.js'
import {providerKind, recordedPkgbase} from '../base/provider.js'
import type {TsezConfig} from '../config.js'
import {parseRelease} from '../dist/release.js'
import type {CheckResult} from './checks.js'

/** What doctor knows of a pkgbase basejail: its set and whether the keys pkg checks its upgrades with are there. */
export interface PkgbaseFacts {
  set: string
  keys: string
  keysPresent: boolean
}

/** The record's provider; undefined for distribution sets (or no install). */
export async function observePkgbase(config: TsezConfig): Promise<PkgbaseFacts | undefined> {
  const record = await readInstallRecord(config).catch(() => undefined)
  if (!record || providerKind(record) !== 'pkgbase') return undefined
  const keys = fingerprintsDir(config, parseRelease(record.release))
  const trusted = await readdir(path.join(keys, 'trusted')).catch(() => [] as string[])
  return {set: setPackage(recordedPkgbase(record).set), keys, keysPresent: trusted.length > 0}
}

export function checkPkgbase(facts: {pkgbase?: PkgbaseFacts}): CheckResult {
  const {pkgbase} = facts
  if (!pkgbase) return {id: 'pkgbase', status: 'skip', what: 'the basejail comes from distribution sets'}
  if (!pkgbase.keysPresent) {
    return {
      id: 'pkgbase',
      status: 'warn',
      what: `the basejail is ${pkgbase.set} from pkgbase, but ${pkgbase.keys}/trusted holds no signing keys: tsez update cannot run`,
      fix: 'copy /usr/share/keys/pkgbase-MAJOR from a FreeBSD 14.x/15.x host, or set tsez_pkgbase_keys',
    }
  }
  return {id: 'pkgbase', status: 'ok', what: `the basejail is ${pkgbase.set} from pkgbase; keys in ${pkgbase.keys}`}
}
