// Observes running jails with one `jls --libxo json` call and parses its libxo envelope.
import {OperationError} from '../errors.js'
import type {CommandRunner} from '../system/runner.js'

export interface RunningJail {
  jid: number
  name: string
  path: string
  hostname: string
  ipv4: string[]
  ipv6: string[]
}

/** `jls -v --libxo json`: every running jail with name, path and all addresses, in one call. */
export async function readRunningJails(run: CommandRunner): Promise<Map<string, RunningJail>> {
  const result = await run.run('jls', ['-v', '--libxo', 'json'])
  return parseJls(result.stdout)
}

export function parseJls(text: string): Map<string, RunningJail> {
  let parsed: {'jail-information'?: {jail?: Array<Record<string, unknown>>}}
  try {
    parsed = JSON.parse(text) as typeof parsed
  } catch {
    throw new OperationError('jls --libxo json printed something that is not JSON')
  }
  const jails = new Map<string, RunningJail>()
  for (const raw of parsed['jail-information']?.jail ?? []) {
    const jid = Number(raw.jid)
    const name = scalar(raw.name) || String(jid)
    jails.set(name, {
      jid,
      name,
      path: scalar(raw.path),
      hostname: scalar(raw.hostname),
      ipv4: stringList(raw.ipv4_addrs),
      ipv6: stringList(raw.ipv6_addrs),
    })
  }
  return jails
}

function scalar(value: unknown): string {
  return typeof value === 'string' || typeof value === 'number' ? String(value) : ''
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.map(String) : []
}
