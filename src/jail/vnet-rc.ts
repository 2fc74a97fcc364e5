// The jail side of a VNET jail: tsez-owned rc.conf.d files in the jail's /etc, written without following symlinks.
import {randomBytes} from 'node:crypto'
import {constants} from 'node:fs'
import {lstat, mkdir, open, readFile, rename, rm} from 'node:fs/promises'
import path from 'node:path'

import {OperationError} from '../errors.js'
import {ownershipMark, type Ownership} from './ownership.js'
import {jailSide, type VnetSettings} from './vnet.js'

/*
 * rc.subr's load_rc_config NAME reads /etc/rc.conf.d/NAME after rc.conf, so tsez owns whole files there and never
 * edits the jail's rc.conf: netif (ifconfig_epairNb, its _ipv6 and _aliasN), routing (defaultrouter,
 * ipv6_defaultrouter) and, for DHCP, dhclient (rc.d/dhclient checks that the interface is a DHCP one). A file
 * that exists without tsez's first line is the jail owner's: tsez refuses to replace it.
 *
 * The jail root belongs to whoever runs the jail: /etc, /etc/rc.conf.d or the file may be a symlink to a host
 * file. Every directory on the way is checked with lstat and must be a real directory (created 0755 when
 * missing); the file is written to a new temp name with O_EXCL|O_NOFOLLOW and renamed over the target, which
 * replaces a symlink rather than writing through it.
 */

export const RC_FILES = ['netif', 'routing', 'dhclient'] as const
export type RcFile = (typeof RC_FILES)[number]

const RC_DIR = 'etc/rc.conf.d'
const RC_MARK = /^# Jail [A-Za-z0-9_]+, written by tsez for its VNET interface/

/** The content of each rc.conf.d file for VNET; undefined: the file should not exist. */
export function vnetRcFiles(name: string, vnet: VnetSettings): Record<RcFile, string | undefined> {
  const header = `${ownershipMark(name)} for its VNET interface: \`tsez config ${name}\` rewrites this file.\n`
  const iface = jailSide(vnet)
  const lines: string[] = []
  if (vnet.dhcp) lines.push(`ifconfig_${iface}="SYNCDHCP"`)
  let alias = 0
  for (const [index, text] of vnet.addresses.entries()) {
    const v6 = text.includes(':')
    const first = vnet.addresses.findIndex((a) => a.includes(':') === v6) === index
    const key = first ? `ifconfig_${iface}${v6 ? '_ipv6' : ''}` : `ifconfig_${iface}_alias${alias++}`
    lines.push(`${key}="${v6 ? 'inet6' : 'inet'} ${text}"`)
  }
  const routes = [
    ...(vnet.gateway4 === undefined ? [] : [`defaultrouter="${vnet.gateway4}"`]),
    ...(vnet.gateway6 === undefined ? [] : [`ipv6_defaultrouter="${vnet.gateway6}"`]),
  ]
  const file = (body: string[]) => (body.length === 0 ? undefined : header + body.map((l) => `${l}\n`).join(''))
  return {netif: file(lines), routing: file(routes), dhclient: vnet.dhcp ? file(lines) : undefined}
}

/** Who owns each rc.conf.d file under ROOT now (a symlink or non-file counts as foreign). */
export async function vnetRcOwnership(root: string): Promise<Record<RcFile, Ownership>> {
  const result = {} as Record<RcFile, Ownership>
  // A symlinked (or non-directory) etc or etc/rc.conf.d makes every file in it someone else's.
  for (const dir of ['etc', RC_DIR]) {
    const st = await lstat(path.join(root, dir)).catch(() => undefined)
    if (st !== undefined && !st.isDirectory()) return {netif: 'foreign', routing: 'foreign', dhclient: 'foreign'}
  }
  for (const file of RC_FILES) {
    const target = path.join(root, RC_DIR, file)
    const st = await lstat(target).catch(() => undefined)
    result[file] = st === undefined ? 'missing' : st.isFile() ? await rcOwnership(target) : 'foreign'
  }
  return result
}

/** Writes FILES under ROOT/etc/rc.conf.d (removing tsez-written files that are no longer wanted). */
export async function writeVnetRcFiles(root: string, files: Record<RcFile, string | undefined>): Promise<void> {
  const dir = await realDirs(root, RC_DIR)
  for (const file of RC_FILES) {
    const content = files[file]
    const target = path.join(dir, file)
    if (content === undefined) {
      const st = await lstat(target).catch(() => undefined)
      if (st?.isFile() === true && (await rcOwnership(target)) === 'tsez') await rm(target)
      continue
    }
    await writeNoFollow(target, content)
  }
}

/** tsez's when its first line is tsez's mark for a VNET file (of any jail name: a rename keeps the files). */
async function rcOwnership(file: string): Promise<Ownership> {
  const head = await readFile(file, 'utf8').catch(() => '')
  return RC_MARK.test(head) ? 'tsez' : 'foreign'
}

/** ROOT/REL made of real directories (mkdir 0755 for missing ones); refuses a symlink or anything else. */
async function realDirs(root: string, rel: string): Promise<string> {
  let dir = root
  for (const part of ['', ...rel.split('/')]) {
    dir = part === '' ? dir : path.join(dir, part)
    const st = await lstat(dir).catch(() => undefined)
    if (st === undefined) await mkdir(dir, {mode: 0o755})
    else if (st.isSymbolicLink() || !st.isDirectory()) {
      throw new OperationError(`${dir} is not a real directory (a symlink or other file): refusing to write under it`)
    }
  }
  return dir
}

async function writeNoFollow(target: string, content: string): Promise<void> {
  const temp = `${target}.tmp-${randomBytes(6).toString('hex')}`
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW
  try {
    const handle = await open(temp, flags, 0o644)
    try {
      await handle.writeFile(content)
      await handle.sync()
    } finally {
      await handle.close()
    }
    await rename(temp, target)
  } catch (error) {
    await rm(temp, {force: true})
    throw error
  }
}
