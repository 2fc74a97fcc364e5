// The addresses a running DHCP VNET jail got: `jexec NAME ifconfig epairNb`, read for its inet and inet6 lines.
import {jailSide} from '../jail/vnet.js'
import type {JailRecord} from '../jail/store.js'
import type {Deps} from '../system/deps.js'

/** ADDRESSES, or for a running DHCP VNET jail what its interface has now (link-local ones left out). */
export async function currentAddresses(
  record: JailRecord,
  running: boolean,
  addresses: string[],
  deps: Pick<Deps, 'run'>,
): Promise<string[]> {
  if (record.vnet?.dhcp !== true || !running) return addresses
  const shown = await deps.run.tryRun('jexec', [record.name, 'ifconfig', jailSide(record.vnet)])
  if (shown.exitCode !== 0) return addresses
  return [...shown.stdout.matchAll(/^\s+inet6? ([0-9a-fA-F.:]+)/gm)]
    .map((match) => match[1] ?? '')
    .filter((address) => address !== '' && !/^fe80:/i.test(address))
}
