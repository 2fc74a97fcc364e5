// A test host where ezjail ran: tsez's basejail and newjail, ezjail's files over them, tsez not yet installed.
import {readFile, rm, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {writeEzjailHost, type EzjailJailSpec, type EzjailLayout} from '../fixtures/ezjail-host.js'
import {createInstalledHost, type InstalledHost} from './installed-host.js'
import {writeHostConfig} from './test-host.js'

/** An ezjail host over a tsez-installed basejail: tsez's own fstab files go to a directory of their own. */
export async function createEzjailHost(
  jails: EzjailJailSpec[],
): Promise<{host: InstalledHost; layout: EzjailLayout; args: string[]}> {
  const host = await createInstalledHost()
  const tsezFstabs = path.join(host.root, 'host/usr/local/etc/tsez/fstab')
  await writeHostConfig(host.configFile, path.join(host.root, 'host'))
  const text = await readFile(host.configFile, 'utf8')
  await writeFile(host.configFile, text.replace(/^tsez_fstab_dir=.*$/m, `tsez_fstab_dir="${tsezFstabs}"`))
  await rm(path.join(host.dirs.dbdir, 'release.json'))
  const layout: EzjailLayout = {
    conf: path.join(host.root, 'host/usr/local/etc/ezjail.conf'),
    dir: path.join(host.root, 'host/usr/local/etc/ezjail'),
    fstabDir: host.dirs.fstab,
    jaildir: host.dirs.jaildir,
    basejail: host.dirs.basejail,
    newjail: host.dirs.newjail,
  }
  await writeEzjailHost(layout, jails)
  const args = ['--ezjail-conf', layout.conf, '--ezjail-dir', layout.dir, '--fstab-dir', layout.fstabDir]
  return {host: {...host, dirs: {...host.dirs, fstab: tsezFstabs}}, layout, args}
}
