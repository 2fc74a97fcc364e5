// Reads what update needs from the host, without changing anything: base version, ZFS, jails.
import path from 'node:path'

import type {TsezConfig} from '../config.js'
import {readUserlandVersion} from '../base/freebsd-update.js'
import {UsageError} from '../errors.js'
import {readRunningJails} from '../jail/running.js'
import {jailFiles, listJailRecords} from '../jail/store.js'
import type {Deps} from '../system/deps.js'
import {pathExists} from '../system/files.js'
import {datasetAt} from '../system/zfs.js'
import {hasEtcState} from '../etc/etcupdate.js'
import {readInstallRecord, type InstallRecord} from '../base/install-record.js'
import type {EtcTarget} from './plan.js'

export async function readBaseVersion(config: TsezConfig): Promise<string> {
  if (!(await pathExists(path.join(config.basejail, 'bin/freebsd-version')))) {
    throw new UsageError(`no basejail at ${config.basejail} (bin/freebsd-version is missing): run tsez install first`)
  }
  return readUserlandVersion(config.basejail)
}

/** The ZFS dataset mounted exactly at the basejail, if any (`zfs list -H -o name,mountpoint`). */
export async function basejailDataset(config: TsezConfig, deps: Deps): Promise<string | undefined> {
  return datasetAt(deps.run, config.basejail)
}

/** Every jail (plus the newjail) with its running state from one jls call and whether etcupdate knows it. */
export async function observeTargets(
  config: TsezConfig,
  install: InstallRecord | undefined,
  deps: Deps,
  withEtcState: boolean,
): Promise<EtcTarget[]> {
  const records = await listJailRecords(config)
  const running = records.length > 0 ? await readRunningJails(deps.run) : new Map()
  const targets: EtcTarget[] = []
  for (const record of records) {
    // A thick jail (an adopted classic jail) has its own userland: updating the basejail does not concern it.
    if (record.thick === true) continue
    targets.push({
      name: record.name,
      root: record.root,
      conf: jailFiles(config, record.name).conf,
      running: running.has(record.name),
      hasEtcState: withEtcState ? await hasEtcState(record.root) : true,
      release: record.release,
      template: false,
    })
  }
  if (withEtcState && install && (await pathExists(path.join(config.newjail, 'etc')))) {
    targets.push({
      name: path.basename(config.newjail),
      root: config.newjail,
      conf: undefined,
      running: false,
      hasEtcState: await hasEtcState(config.newjail),
      release: install.release,
      template: true,
    })
  }
  return targets
}

export async function requireInstallRecord(config: TsezConfig): Promise<InstallRecord> {
  const record = await readInstallRecord(config)
  if (!record) {
    throw new UsageError(
      `no install record at ${config.dbdir}/release.json: run tsez install (or tsez install --force)`,
    )
  }
  return record
}
