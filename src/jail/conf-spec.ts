// The jail.conf spec of a jail, derived from its record and the host configuration: every command re-renders from here.
import type {TsezConfig} from '../config.js'
import {OperationError} from '../errors.js'
import type {JailConfSpec} from './conf-render.js'
import {parseJailAddress, type JailAddress} from './ip.js'
import {resourceHooks} from './resource-hooks.js'
import {jailFiles, type JailRecord} from './store.js'
import {vnetParams} from './vnet.js'

/** Where jail(8) appends the output of exec.start / exec.stop, as rc.d/jail names it. */
export function consoleLogFor(name: string): string {
  return `/var/log/jail_${name}_console.log`
}

/** The spec renderJailConf writes for RECORD; addresses that no longer parse throw (the record was edited by hand). */
export function jailConfSpecFor(config: TsezConfig, record: JailRecord): JailConfSpec {
  return {
    name: record.name,
    path: record.root,
    hostname: record.hostname,
    addresses: record.addresses.map((text) => addressOf(record.name, text)),
    fstab: jailFiles(config, record.name).fstab,
    devfsRuleset: config.devfsRuleset,
    execStart: config.execStart,
    execStop: config.execStop,
    consoleLog: consoleLogFor(record.name),
    params: record.vnet === undefined ? {...record.params} : vnetParams(record.vnet, record.params),
    ...(resourceHooks(record).length > 0 ? {hooks: resourceHooks(record)} : {}),
    // A thick jail keeps exactly its own parameters; its fstab is named only when it has mounts.
    ...(record.thick === true ? {tsezDefaults: false, fstabUsed: (record.mounts ?? []).length > 0} : {}),
  }
}

function addressOf(jail: string, text: string): JailAddress {
  const parsed = parseJailAddress(text)
  if (typeof parsed === 'string')
    throw new OperationError(
      `jail ${jail}: its record holds a bad address: ${parsed}; fix it with tsez config ${jail} --ip`,
    )
  return parsed
}
