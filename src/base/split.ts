// ezjail's basejail/newjail split: which directories move to the shared base, and the links the template keeps.
import {mkdir, rename, symlink} from 'node:fs/promises'
import path from 'node:path'

import {pathExists} from '../system/files.js'

/** Exactly ezjail's list (plus usr/lib32 on every platform that has it): these live only in the basejail. */
export const BASEJAIL_DIRS = [
  'bin',
  'boot',
  'lib',
  'libexec',
  'rescue',
  'sbin',
  'usr/bin',
  'usr/include',
  'usr/lib',
  'usr/lib32',
  'usr/libdata',
  'usr/libexec',
  'usr/sbin',
  'usr/share',
  'usr/src',
] as const

/**
 * Moves each BASEJAIL_DIRS entry of `full` into `basejail` (renames: owners, modes, flags and links survive),
 * leaves `full` as the newjail template with absolute `DIR -> /basejail/DIR` links, `usr/ports ->
 * /basejail/usr/ports` and an empty `basejail/` mount point.
 */
export async function splitWorld(full: string, basejail: string): Promise<void> {
  await mkdir(path.join(basejail, 'usr'), {recursive: true, mode: 0o755})
  for (const dir of BASEJAIL_DIRS) {
    const source = path.join(full, dir)
    if (await pathExists(source)) await rename(source, path.join(basejail, dir))
    await symlink(`/basejail/${dir}`, source)
  }
  const ports = path.join(full, 'usr/ports')
  if (!(await pathExists(ports))) await symlink('/basejail/usr/ports', ports)
  await mkdir(path.join(full, 'basejail'), {mode: 0o755})
}
