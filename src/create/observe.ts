// What a create observes of the host (records, flavours, the root, jail files, the base, a --vnet jail's epair).
import {randomBytes} from 'node:crypto'
import {lstat, readdir} from 'node:fs/promises'
import path from 'node:path'

import {reservedNames, type TsezConfig} from '../config.js'
import {readUserlandVersion} from '../base/freebsd-update.js'
import {hasEtcState} from '../etc/etcupdate.js'
import {jailNameFor} from '../jail/names.js'
import {ownershipOf} from '../jail/ownership.js'
import {observeRootSurroundings, resolveExisting} from '../jail/roots.js'
import {jailFiles, listJailRecords, type JailRecord} from '../jail/store.js'
import {allocateEpair} from '../jail/vnet.js'
import {vnetRcOwnership} from '../jail/vnet-rc.js'
import type {Deps} from '../system/deps.js'
import type {CreateObservation, CreateRequest} from './plan.js'
import {observeZfs} from './zfs.js'

/** The host as a create sees it; the one `zfs list` (WITHZFS) runs beside the file system reads. */
export async function observe(
  config: TsezConfig,
  request: CreateRequest,
  deps: Deps,
  withZfs: boolean,
): Promise<CreateObservation> {
  const name = jailNameFor(request.name)
  const [zfs, local] = await Promise.all([
    withZfs ? observeZfs(config, name, deps) : undefined,
    observeFiles(config, request, name, deps),
  ])
  return {...local, ...(zfs === undefined ? {} : {zfs})}
}

export async function observeFiles(
  config: TsezConfig,
  request: CreateRequest,
  name: string,
  deps: Deps,
): Promise<CreateObservation> {
  const records = await listJailRecords(config)
  const flavourNames = await readdir(config.flavours, {withFileTypes: true}).catch(() => [])
  const availableFlavours = flavourNames.filter((d) => d.isDirectory() && !d.name.startsWith('.')).map((d) => d.name)
  const flavourScripts: Record<string, string | undefined> = {}
  for (const flavour of request.flavours ?? config.defaultFlavours) {
    if (!availableFlavours.includes(flavour)) continue
    for (const script of ['tsez.flavour', 'ezjail.flavour']) {
      const file = path.join(config.flavours, flavour, script)
      if ((await lstat(file).catch(() => undefined))?.isFile()) {
        flavourScripts[flavour] = file
        break
      }
    }
  }
  const rootPath = path.resolve(config.jaildir, request.rootdir ?? name)
  const root = await lstat(rootPath).catch(() => undefined)
  const files = jailFiles(config, name)
  return {
    existingJails: records.map((r) => r.hostname),
    reserved: reservedNames(config),
    availableFlavours,
    flavourScripts,
    root: root === undefined ? 'missing' : root.isDirectory() ? 'directory' : 'other',
    rootReal: await resolveExisting(rootPath),
    around: await observeRootSurroundings(config, records),
    conf: await ownershipOf(files.conf, name),
    fstab: await ownershipOf(files.fstab, name),
    newjailPresent: (await lstat(config.newjail).catch(() => undefined))?.isDirectory() === true,
    newjailHasEtcState: await hasEtcState(config.newjail),
    release: await readUserlandVersion(config.basejail).catch(() => undefined),
    now: deps.clock.now(),
    nonce: randomBytes(4).toString('hex'),
    ...(request.vnet === true ? await observeVnet(config, request, records, rootPath, deps) : {}),
  }
}

/** The free epair unit (recorded jails' and the host's interfaces excluded) and the root's rc.conf.d files. */
async function observeVnet(
  config: TsezConfig,
  request: CreateRequest,
  records: JailRecord[],
  rootPath: string,
  deps: Deps,
): Promise<Pick<CreateObservation, 'epair' | 'rcFiles'>> {
  const listed = await deps.run.tryRun('ifconfig', ['-l'])
  const host = listed.exitCode === 0 ? listed.stdout.trim().split(/\s+/) : []
  const epair = allocateEpair(
    records.flatMap((r) => (r.vnet === undefined ? [] : [r.vnet.epair])),
    host,
  )
  const rcFiles = await vnetRcOwnership(request.existingRoot ? rootPath : config.newjail)
  return {...(epair === undefined ? {} : {epair}), rcFiles}
}
