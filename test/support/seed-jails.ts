// Test support: a temp tsez host with seeded jails (record, jail.conf, fstab, minimal root) written directly,
// without `tsez create`, so start/stop tests stand on their own.
import {chmod, mkdir, mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {loadConfig, type TsezConfig} from '../../src/config.js'
import {renderJailConfFor, renderJailFstab} from '../../src/jail/files.js'
import {FIRSTBOOT_DIR, JAIL_RECORD_VERSION, jailFiles, writeJailRecord, type JailRecord} from '../../src/jail/store.js'

export interface SeedJail {
  name: string
  run?: boolean
  depend?: string[]
  addresses?: string[]
  /** First-start scripts: file name (NN-name) → sh text, placed in ROOT/FIRSTBOOT_DIR. */
  firstboot?: Record<string, string>
}

export interface SeededHost {
  dir: string
  /** The tsez.conf to pass as TSEZ_CONFIG. */
  configFile: string
  config: TsezConfig
  cleanup(): Promise<void>
}

/** A temp host: every tsez path under DIR, a basejail with bin/freebsd-version, and no jails yet. */
export async function seedHost(): Promise<SeededHost> {
  const dir = await mkdtemp(path.join(tmpdir(), 'tsez-run-'))
  const configFile = path.join(dir, 'tsez.conf')
  const keys = {
    tsez_jaildir: `${dir}/jails`,
    tsez_jailconf_dir: `${dir}/etc/jail.conf.d`,
    tsez_fstab_dir: `${dir}/etc`,
    tsez_confdir: `${dir}/usr/local/etc/tsez`,
    tsez_cachedir: `${dir}/var/cache/tsez`,
    tsez_dbdir: `${dir}/var/db/tsez`,
    tsez_sourcetree: `${dir}/usr/src`,
  }
  await writeFile(
    configFile,
    Object.entries(keys)
      .map(([key, value]) => `${key}="${value}"\n`)
      .join(''),
  )
  const config = await loadConfig({flag: configFile, env: {}, warn: () => undefined})
  await mkdir(path.join(config.basejail, 'bin'), {recursive: true})
  await writeFile(
    path.join(config.basejail, 'bin', 'freebsd-version'),
    '#!/bin/sh\nUSERLAND_VERSION="14.3-RELEASE-p2"\necho $USERLAND_VERSION\n',
  )
  return {dir, configFile, config, cleanup: () => rm(dir, {recursive: true, force: true})}
}

/** Writes JAIL's record, jail.conf, fstab and a minimal root (basejail mount point, first-start scripts). */
export async function seedJail(config: TsezConfig, jail: SeedJail): Promise<JailRecord> {
  const root = path.join(config.jaildir, jail.name)
  const files = jailFiles(config, jail.name)
  const addressTexts = jail.addresses ?? [`lo1|127.0.1.${(hash(jail.name) % 250) + 1}`]
  const record: JailRecord = {
    version: JAIL_RECORD_VERSION,
    name: jail.name,
    hostname: jail.name,
    root,
    addresses: addressTexts,
    flavours: [],
    run: jail.run ?? true,
    depend: jail.depend ?? [],
    params: {},
    release: '14.3-RELEASE-p2',
    created: '2026-11-28T00:00:00.000Z',
  }
  await mkdir(path.join(root, 'basejail'), {recursive: true})
  await mkdir(path.join(root, 'etc'), {recursive: true})
  // What tsez create writes for the same record.
  await mkdir(path.dirname(files.conf), {recursive: true})
  await writeFile(files.conf, renderJailConfFor(config, record))
  await writeFile(files.fstab, renderJailFstab(config, record))
  const scripts = Object.entries(jail.firstboot ?? {})
  if (scripts.length > 0) {
    const dir = path.join(root, FIRSTBOOT_DIR)
    await mkdir(dir, {recursive: true})
    for (const [file, text] of scripts) {
      await writeFile(path.join(dir, file), text)
      await chmod(path.join(dir, file), 0o755)
    }
  }
  await writeJailRecord(config, record)
  return record
}

function hash(text: string): number {
  return [...text].reduce((sum, c) => (sum * 31 + c.charCodeAt(0)) % 100_003, 7)
}
