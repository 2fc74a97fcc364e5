// One ezjail jail (PREFIX/etc/ezjail/NAME[.norun] and /etc/fstab.NAME) as the tsez jail that behaves the same.
import {quote} from '../errors.js'
import type {TsezConfig} from '../config.js'
import {fstabFieldProblem, type FstabEntry} from './fstab.js'
import {formatJailAddress, parseIpList} from './ip.js'
import {validateParam} from './params.js'
import type {JailRecord} from './store.js'
import type {EzjailHost} from './ezjail-host.js'
import {readShAssignments} from './sh-assignments.js'

/** What the import takes from one ezjail jail file, or why the jail is left to ezjail. */
export type EzjailJail = {ok: true; jail: AdoptedJail} | {ok: false; name: string; reason: string}

export interface AdoptedJail {
  /** The record without release/created/origin timestamps, which the plan fills in. */
  fields: Pick<JailRecord, 'name' | 'hostname' | 'root' | 'addresses' | 'run' | 'params' | 'mounts'>
  /** rc.d/ezjail's rcorder keywords from the file's header comments. */
  rcorder: {provide: string[]; require: string[]; before: string[]}
  /** The jail file it came from. */
  file: string
  /** A ZFS jail's dataset (ezjail's `_parentzfs`, else ezjail_jailzfs, then the hostname). */
  dataset?: string
}

export interface EzjailJailSource {
  /** The file's name in ezjail's directory: SAFE or SAFE.norun. */
  fileName: string
  path: string
  text: string
  /** ezjail's /etc/fstab.SAFE, undefined when missing. */
  fstab: {path: string; text: string} | undefined
}

/** Every variable ezjail writes per jail (ezjail.md §6.1) and `_exec`, the name older versions used. */
const KNOWN = new Set([
  'hostname', 'ip', 'rootdir', 'exec_start', 'exec_stop', 'mount_enable', 'devfs_enable', 'devfs_ruleset',
  'procfs_enable', 'fdescfs_enable', 'image', 'imagetype', 'attachparams', 'attachblocking', 'forceblocking',
  'zfs_datasets', 'cpuset', 'fib', 'parentzfs', 'parameters', 'post_start_script', 'retention_policy', 'exec',
]) // prettier-ignore

const SAFE_NAME = /^[A-Za-z0-9_]+$/
const CPU_LIST = /^[0-9]+(-[0-9]+)?(,[0-9]+(-[0-9]+)?)*$/
const DATASET = /^[A-Za-z0-9][A-Za-z0-9_.:/-]*$/

/** Reads one jail file; every refusal names the file (and line) and the jail stays ezjail's. */
export function readEzjailJail(source: EzjailJailSource, host: EzjailHost, config: TsezConfig): EzjailJail {
  const safe = source.fileName.replace(/\.norun$/, '')
  const skip = (reason: string): EzjailJail => ({ok: false, name: safe, reason})
  if (!SAFE_NAME.test(safe)) return skip(`${source.path}: not an ezjail jail file name (rc.d/ezjail skips it too)`)
  const read = readShAssignments(source.text)
  const problem = read.problems[0]
  if (problem) return skip(`${source.path}:${problem.line}: ${problem.message}; tsez reads it without running it`)

  const prefix = `jail_${safe}_`
  const vars = new Map<string, string>()
  for (const [name, value] of read.values) {
    const key = name.startsWith(prefix) ? name.slice(prefix.length) : undefined
    if (key === undefined || !KNOWN.has(key)) {
      return skip(`${source.path}: ${name} is not one of ezjail's variables for ${safe}; tsez cannot tell what it does`)
    }
    vars.set(key, value)
  }
  const get = (key: string) => vars.get(key) ?? ''
  const reasons: string[] = []
  const hostname = get('hostname')
  const root = get('rootdir').replace(/(?<=.)\/+$/, '')
  if (hostname === '' || /[\s\p{Cc}]/u.test(hostname)) reasons.push(`hostname ${quote(hostname)} is unusable`)
  if (!root.startsWith('/') || root.split('/').includes('..') || /\p{Cc}/u.test(root)) {
    reasons.push(`rootdir ${quote(root)} is not an absolute path`)
  } else if (!root.startsWith(`${host.jaildir.replace(/\/+$/, '')}/`)) {
    reasons.push(`rootdir ${root} lies outside ezjail_jaildir ${host.jaildir}`)
  }
  if (get('image') !== '' || /^(simple|bde|eli|crypto)$/.test(get('imagetype'))) {
    reasons.push(`it is an image jail (${get('imagetype') || 'simple'}); tsez does not manage md-backed jails`)
  }
  const ips = parseIpList(get('ip'))
  reasons.push(...ips.problems.map((p) => `ip: ${p}`))
  const params: JailRecord['params'] = {}
  const created: string[] = []
  readRunParams(get, config, params, reasons)
  for (const word of get('parameters')
    .split(/[ \t]+/)
    .filter((w) => w !== '')) {
    const eq = word.indexOf('=')
    const checked = validateParam(eq === -1 ? word : word.slice(0, eq), eq === -1 ? 'true' : word.slice(eq + 1))
    if ('problem' in checked) reasons.push(`parameters: ${checked.problem}`)
    else if (checked.value !== undefined) params[checked.name] = checked.value
  }
  const cpuset = get('cpuset')
  if (cpuset !== '' && !CPU_LIST.test(cpuset)) reasons.push(`cpuset ${quote(cpuset)} is not a CPU list`)
  else if (cpuset !== '') created.push(`cpuset -l ${cpuset} -j ${safe}`)
  for (const dataset of get('zfs_datasets')
    .split(/[ \t]+/)
    .filter((d) => d !== '')) {
    if (!DATASET.test(dataset)) reasons.push(`zfs_datasets: ${quote(dataset)} is not a dataset name`)
    else created.push(`zfs jail ${safe} ${dataset}`)
  }
  if (created.length > 0) params['exec.created'] = created
  const script = get('post_start_script')
  if (script !== '') {
    if (!script.startsWith('/') || /[\p{Cc}']/u.test(script)) {
      reasons.push(`post_start_script ${quote(script)} is not an absolute path tsez can quote`)
    } else params['exec.poststart'] = `'${script}' "$(jls -j ${safe} jid)" ${safe}`
  }
  const mounts = readMounts(source, host, root, reasons)
  if (reasons.length > 0) return skip(`${source.path}: ${reasons.join('; ')}`)
  return {
    ok: true,
    jail: {
      fields: {
        name: safe,
        hostname,
        root,
        addresses: ips.addresses.map(formatJailAddress),
        run: !source.fileName.endsWith('.norun'),
        params,
        mounts,
      },
      rcorder: rcorderKeywords(read.comments),
      file: source.path,
      ...(get('imagetype') === 'zfs' ? {dataset: `${get('parentzfs') || host.jailzfs}/${hostname}`} : {}),
    },
  }
}

/** exec.start/stop, the mounts rc.d/jail makes from the _enable knobs, devfs ruleset and FIB. */
function readRunParams(
  get: (key: string) => string,
  config: TsezConfig,
  params: JailRecord['params'],
  reasons: string[],
): void {
  const start = get('exec_start') || get('exec')
  if (start !== '' && start !== config.execStart) params['exec.start'] = start
  // ezjail writes _exec_stop="" and rc.d/jail then stops without rc.shutdown (ezjail.md §12.1): tsez's default runs it.
  if (get('exec_stop') !== '' && get('exec_stop') !== config.execStop) params['exec.stop'] = get('exec_stop')
  if (/^yes$/i.test(get('mount_enable'))) params['allow.mount'] = true
  if (get('devfs_enable') !== '' && !/^yes$/i.test(get('devfs_enable'))) params['mount.devfs'] = false
  if (/^yes$/i.test(get('procfs_enable'))) params['mount.procfs'] = true
  if (/^yes$/i.test(get('fdescfs_enable'))) params['mount.fdescfs'] = true
  const ruleset = get('devfs_ruleset')
  const number =
    ruleset === '' || ruleset === 'devfsrules_jail' ? 4 : /^[0-9]{1,5}$/.test(ruleset) ? Number(ruleset) : NaN
  if (Number.isNaN(number) || number > 65535) {
    reasons.push(`devfs_ruleset ${quote(ruleset)} is neither a number nor devfsrules_jail (rc.d/jail refuses it too)`)
  } else if (number !== config.devfsRuleset) params['devfs_ruleset'] = number
  const fib = get('fib')
  if (fib !== '') {
    const checked = validateParam('exec.fib', fib)
    if ('problem' in checked) reasons.push(`fib: ${checked.problem}`)
    else params['exec.fib'] = checked.value as number
  }
}

/** The fstab's lines but ezjail's basejail mount (tsez writes its own), each checked as jail(8) reads it. */
function readMounts(source: EzjailJailSource, host: EzjailHost, root: string, reasons: string[]): FstabEntry[] {
  const mounts: FstabEntry[] = []
  if (source.fstab === undefined) return mounts
  source.fstab.text.split('\n').forEach((line, index) => {
    const fields = (line.split('#')[0] ?? '')
      .trim()
      .split(/[ \t]+/)
      .filter((f) => f !== '')
    if (fields.length === 0) return
    const where = `${source.fstab?.path}:${index + 1}`
    const [device = '', mountPoint = '', type = '', options = '', dump = '0', pass = '0'] = fields
    if (fields.length < 4 || fields.length > 6 || !/^[0-9]+$/.test(dump) || !/^[0-9]+$/.test(pass)) {
      reasons.push(`${where}: not an fstab line`)
      return
    }
    const basejail =
      device.replace(/\/+$/, '') === host.basejail.replace(/\/+$/, '') && mountPoint === `${root}/basejail`
    if (basejail) return
    const problem = [fstabFieldProblem(device), fstabFieldProblem(type), fstabFieldProblem(options)].find(Boolean)
    if (problem !== undefined || !mountPoint.startsWith('/')) {
      reasons.push(`${where}: ${problem ?? `mount point ${quote(mountPoint)} is not absolute`}`)
    } else mounts.push({device, mountPoint, type, options, dump: Number(dump), pass: Number(pass)})
  })
  return mounts
}

/** `# PROVIDE: a b`, `# REQUIRE: …`, `# BEFORE: …` as rcorder(8) reads them from the header. */
export function rcorderKeywords(comments: readonly string[]): AdoptedJail['rcorder'] {
  const keywords = {provide: [] as string[], require: [] as string[], before: [] as string[]}
  for (const comment of comments) {
    const match = /^\s*(PROVIDE|REQUIRE|BEFORE):(.*)$/.exec(comment)
    if (!match) continue
    const key = (match[1] ?? '').toLowerCase() as keyof typeof keywords
    keywords[key].push(...(match[2] ?? '').split(/\s+/).filter((w) => w !== ''))
  }
  return keywords
}
