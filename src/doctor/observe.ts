// What tsez doctor reads of the host: files, statfs and a few read-only programs, gathered into DoctorFacts.
import {readFile, stat, statfs} from 'node:fs/promises'
import path from 'node:path'

import type {TsezConfig} from '../config.js'
import {readUserlandVersion} from '../base/freebsd-update.js'
import {installRecordPath} from '../base/install-record.js'
import {pendingRecord, stagingPaths} from '../base/staging.js'
import {archiveJournalFiles} from '../jail/archive-journal.js'
import {journalNames, leftoversOf} from '../jail/journal.js'
import {interruptedConfigJournals} from '../jail/recover.js'
import {listJailRecords, type JailRecord} from '../jail/store.js'
import type {Deps} from '../system/deps.js'
import {atomicTemps, pathExists} from '../system/files.js'
import {inspectHostLock} from '../system/lock.js'
import type {BootFacts, DirectoryFacts, DoctorFacts, JailFacts, LeftoverFacts, LockFacts} from './facts.js'
import {isYes, outlineJailConf, parseIfconfig, parseRcAssignments} from './parse.js'
import {observePkgbase} from './pkgbase-check.js'

/** Where doctor reads the host's /etc and /boot: `/`, or $TSEZ_DOCTOR_ROOT (tests point it at a fake host). */
export function hostRoot(deps: Pick<Deps, 'env'>): string {
  return deps.env.TSEZ_DOCTOR_ROOT || '/'
}

export async function observeHost(config: TsezConfig, deps: Deps): Promise<DoctorFacts> {
  const root = hostRoot(deps)
  const [jaildir, basejailUserland, kernel, securelevel, nullfs, racct, jails, interfaces] = await Promise.all([
    observeDirectory(config.jaildir),
    readUserlandVersion(config.basejail).catch(() => undefined),
    output(deps, 'uname', ['-r']),
    output(deps, 'sysctl', ['-n', 'kern.securelevel']).then(toNumber),
    observeNullfs(deps, root),
    output(deps, 'sysctl', ['-n', 'kern.racct.enable']).then(toNumber),
    listJailRecords(config).then((records) => records.map(jailFacts)),
    output(deps, 'ifconfig', ['-a']).then((text) => (text === undefined ? undefined : parseIfconfig(text))),
  ])
  const [boot, freeBytes, leftovers, lock] = await Promise.all([
    observeBoot(root),
    statfs(config.jaildir).then(
      (info) => info.bavail * info.bsize,
      () => undefined,
    ),
    observeLeftovers(config),
    observeLock(config.dbdir),
  ])
  const [zfs, vnetModules, pkgbase] = await Promise.all([
    config.useZfs ? observeZfsParent(deps, config.zfsParent) : undefined,
    jails.some((jail) => jail.vnet) ? observeVnetModules(deps) : undefined,
    observePkgbase(config),
  ])
  return {
    uid: process.getuid?.() ?? 0,
    jaildir,
    basejail: config.basejail,
    basejailUserland,
    kernel,
    securelevel,
    nullfs,
    racct,
    ...(zfs === undefined ? {} : {zfs}),
    ...(vnetModules === undefined ? {} : {vnetModules}),
    ...(pkgbase === undefined ? {} : {pkgbase}),
    jails,
    interfaces,
    boot,
    jailconfDir: config.jailconfDir,
    freeBytes,
    leftovers,
    lock,
  }
}

/** A program's trimmed stdout, or undefined when it failed (or is not there: not FreeBSD). */
async function output(deps: Deps, program: string, args: string[]): Promise<string | undefined> {
  const result = await deps.run.tryRun(program, args)
  return result.exitCode === 0 ? result.stdout.trim() : undefined
}

function toNumber(text: string | undefined): number | undefined {
  return text !== undefined && /^-?\d+$/.test(text) ? Number(text) : undefined
}

async function observeDirectory(dir: string): Promise<DirectoryFacts> {
  const info = await stat(dir).catch(() => undefined)
  if (info === undefined) return {path: dir, stat: undefined}
  return {path: dir, stat: {uid: info.uid, gid: info.gid, mode: info.mode, isDirectory: info.isDirectory()}}
}

/** `lsvfs nullfs` lists it when it is in the kernel or loaded; else mount_nullfs loads /boot/kernel/nullfs.ko. */
async function observeNullfs(deps: Deps, root: string): Promise<DoctorFacts['nullfs']> {
  if ((await deps.run.tryRun('lsvfs', ['nullfs'])).exitCode === 0) return 'listed'
  return (await pathExists(path.join(root, 'boot/kernel/nullfs.ko'))) ? 'module' : 'missing'
}

function jailFacts(record: JailRecord): JailFacts {
  const vnet = record.vnet !== undefined || record.params.vnet === 'new'
  const bridge = record.vnet?.bridge
  const limits = (record.limits ?? []).length
  return {name: record.name, run: record.run, vnet, addresses: record.addresses, limits, ...(bridge ? {bridge} : {})}
}

/** `zfs list -H -o name PARENT` finds it (an empty tsez_zfs_parent never exists). */
async function observeZfsParent(deps: Deps, parent: string): Promise<{parent: string; parentExists: boolean}> {
  if (parent === '') return {parent, parentExists: false}
  const listed = await output(deps, 'zfs', ['list', '-H', '-o', 'name', parent])
  return {parent, parentExists: listed === parent}
}

/** `kldstat -q -m` finds a module loaded or compiled into the kernel. */
async function observeVnetModules(deps: Deps): Promise<{if_epair: boolean; if_bridge: boolean}> {
  const loaded = async (module: string) => (await deps.run.tryRun('kldstat', ['-q', '-m', module])).exitCode === 0
  const [ifEpair, ifBridge] = await Promise.all([loaded('if_epair'), loaded('if_bridge')])
  return {if_epair: ifEpair, if_bridge: ifBridge}
}

/** rc.conf then rc.conf.local (which wins, as rc.subr reads them), and /etc/jail.conf's jails. */
async function observeBoot(root: string): Promise<BootFacts> {
  const read = (file: string) => readFile(path.join(root, file), 'utf8').catch(() => '')
  const rc = parseRcAssignments(await read('etc/rc.conf'))
  parseRcAssignments(await read('etc/rc.conf.local'), rc)
  const jailConf = outlineJailConf(await read('etc/jail.conf'), '/etc/jail.conf')
  return {
    tsezEnable: isYes(rc.get('tsez_enable')),
    jailEnable: isYes(rc.get('jail_enable')),
    jailList: (rc.get('jail_list') ?? '').split(/\s+/).filter(Boolean),
    jailConfNames: jailConf.names,
    jailConfIncludes: jailConf.includes,
    ...(jailConf.problem === undefined ? {} : {jailConfProblem: jailConf.problem}),
  }
}

/** Interrupted creates (their journals and what they name) and configs, install staging, killed atomic writes. */
async function observeLeftovers(config: TsezConfig): Promise<LeftoverFacts[]> {
  const found: LeftoverFacts[] = []
  for (const name of await journalNames(config)) {
    for (const item of await leftoversOf(config, name)) found.push({kind: 'interrupted create', path: item.path})
  }
  for (const file of await interruptedConfigJournals(config)) found.push({kind: 'interrupted config', path: file})
  for (const file of await archiveJournalFiles(config)) found.push({kind: 'interrupted archive', path: file})
  const staging = [stagingPaths(config.jaildir).root, pendingRecord(installRecordPath(config))]
  for (const file of staging) if (await pathExists(file)) found.push({kind: 'install staging', path: file})
  for (const dir of [config.dbdir, config.confdir, config.jailconfDir, config.fstabDir]) {
    for (const file of await atomicTemps(dir)) found.push({kind: 'atomic temp', path: file})
  }
  return found
}

async function observeLock(dbdir: string): Promise<LockFacts> {
  const seen = await inspectHostLock(dbdir)
  if (seen.state !== 'stale') return seen
  return {state: 'stale', pid: seen.holder?.pid, command: seen.holder?.command}
}
