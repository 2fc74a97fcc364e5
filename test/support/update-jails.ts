// Test sandbox for tsez update: a fake host, a tsez.conf under a temp dir, a minimal basejail, seeded jails.
import {mkdir, mkdtemp, readFile, readdir, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {execFileSync} from 'node:child_process'

import {resolveConfig, type TsezConfig} from '../../src/config.js'
import {renderJailConfFor, renderJailFstab} from '../../src/jail/files.js'
import {JAIL_RECORD_VERSION, jailFiles, writeJailRecord, type JailRecord} from '../../src/jail/store.js'
import {createFakeHost, type FakeHost} from '../fixtures/fake-host.js'
import {freebsdVersionScript} from '../fixtures/release/etc-files.js'

export interface UpdateSandbox {
  dir: string
  config: TsezConfig
  /** process.env overlay: PATH with the fakes first, TSEZ_FAKE_HOST, TSEZ_CONFIG. */
  env: NodeJS.ProcessEnv
  host: FakeHost
  /** Writes N jail records with rendered conf and fstab and a minimal root; `running` are started with fake jail. */
  seedJails(count: number, options?: {running?: number[]; release?: string}): Promise<JailRecord[]>
  baseVersion(): Promise<string>
  /** Every per-jail file (records, confs, fstabs, roots) as text, for before/after comparisons. */
  jailFilesDigest(): Promise<string>
  cleanup(): Promise<void>
}

const KEYS: Array<[string, string]> = [
  ['tsez_jaildir', 'jails'],
  ['tsez_jailconf_dir', 'etc/jail.conf.d'],
  ['tsez_fstab_dir', 'etc'],
  ['tsez_confdir', 'usr/local/etc/tsez'],
  ['tsez_cachedir', 'var/cache/tsez'],
  ['tsez_dbdir', 'var/db/tsez'],
  ['tsez_sourcetree', 'usr/src'],
]

export async function createUpdateSandbox(
  options: {version?: string; release?: string; mirror?: string; installRecord?: boolean} = {},
): Promise<UpdateSandbox> {
  const dir = await mkdtemp(path.join(tmpdir(), 'tsez-update-'))
  const host = await createFakeHost()
  const values = new Map(KEYS.map(([key, rel]) => [key, path.join(dir, rel)]))
  const configFile = path.join(dir, 'tsez.conf')
  await writeFile(configFile, [...values].map(([key, value]) => `${key}="${value}"`).join('\n') + '\n')
  const config = resolveConfig(values, configFile)
  const version = options.version ?? '14.3-RELEASE-p2'
  await mkdir(path.join(config.basejail, 'bin'), {recursive: true})
  await writeFile(path.join(config.basejail, 'bin/freebsd-version'), freebsdVersionScript(version), {mode: 0o555})
  await mkdir(path.join(config.newjail, 'etc'), {recursive: true})
  await writeFile(path.join(config.newjail, 'etc/rc.conf'), '# newjail\n')
  await mkdir(config.dbdir, {recursive: true})
  if (options.installRecord !== false) {
    const record = {
      release: options.release ?? version.replace(/-p\d+$/, ''),
      userland: version,
      machine: 'amd64',
      arch: 'amd64',
      mirror: options.mirror ?? 'file:///nonexistent/',
      sets: [],
      patched: true,
      installedAt: '2026-01-01T00:00:00.000Z',
    }
    await writeFile(path.join(config.dbdir, 'release.json'), JSON.stringify(record, null, 2) + '\n')
  }
  const env = {...host.env, TSEZ_CONFIG: configFile, TSEZ_LOCK_WAIT: '0'}
  return {
    dir,
    config,
    env,
    host,
    seedJails: (count, seed = {}) => seedJails(config, env, count, seed.running ?? [], seed.release ?? version),
    baseVersion: async () =>
      /USERLAND_VERSION="([^"]+)"/.exec(
        await readFile(path.join(config.basejail, 'bin/freebsd-version'), 'utf8'),
      )?.[1] ?? '',
    jailFilesDigest: () => digest(config),
    cleanup: async () => {
      await host.cleanup()
      await rm(dir, {recursive: true, force: true})
    },
  }
}

async function seedJails(
  config: TsezConfig,
  env: NodeJS.ProcessEnv,
  count: number,
  running: number[],
  release: string,
): Promise<JailRecord[]> {
  const records: JailRecord[] = []
  for (let index = 1; index <= count; index++) {
    const name = `jail${String(index).padStart(3, '0')}`
    const root = path.join(config.jaildir, name)
    const address = `10.0.${Math.floor(index / 250)}.${(index % 250) + 1}`
    await mkdir(path.join(root, 'etc'), {recursive: true})
    await mkdir(path.join(root, 'basejail'), {recursive: true})
    await mkdir(path.join(root, 'var/db'), {recursive: true})
    await writeFile(path.join(root, 'etc/rc.conf'), `hostname="${name}.example.org"\n`)
    const files = jailFiles(config, name)
    const record: JailRecord = {
      version: JAIL_RECORD_VERSION,
      name,
      hostname: `${name}.example.org`,
      root,
      addresses: [address],
      flavours: [],
      run: true,
      depend: [],
      params: {},
      release,
      created: '2026-01-01T00:00:00.000Z',
    }
    await writeJailRecord(config, record)
    await mkdir(path.dirname(files.conf), {recursive: true})
    await writeFile(files.conf, renderJailConfFor(config, record))
    await writeFile(files.fstab, renderJailFstab(config, record))
    if (running.includes(index)) execFileSync('jail', ['-f', files.conf, '-c', name], {env, stdio: 'ignore'})
    records.push(record)
  }
  return records
}

/** Records, confs and fstabs verbatim, plus every path and file content under each jail root except etcupdate's. */
async function digest(config: TsezConfig): Promise<string> {
  const out: string[] = []
  for (const file of (await readdir(config.confdir)).sort()) {
    const name = file.replace(/\.json$/, '')
    const files = jailFiles(config, name)
    for (const each of [files.record, files.conf, files.fstab]) out.push(`== ${each}\n${await readFile(each, 'utf8')}`)
    const record = JSON.parse(await readFile(files.record, 'utf8')) as JailRecord
    out.push(...(await listTree(record.root, '')))
  }
  return out.join('\n')
}

async function listTree(root: string, rel: string): Promise<string[]> {
  const lines: string[] = []
  for (const entry of (await readdir(path.join(root, rel), {withFileTypes: true})).sort((a, b) =>
    a.name.localeCompare(b.name),
  )) {
    const child = path.join(rel, entry.name)
    if (entry.isDirectory()) lines.push(`dir ${child}`, ...(await listTree(root, child)))
    else lines.push(`file ${child}: ${await readFile(path.join(root, child), 'utf8')}`)
  }
  return lines
}
