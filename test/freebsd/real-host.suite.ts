// `npm run test:freebsd`: the main job end to end on a real FreeBSD host, as root, in a scratch directory or dataset.
// Real install (download.freebsd.org, or TSEZ_TEST_MIRROR such as file:///var/tmp/sets), real jails, then nothing left.
import {execFile} from 'node:child_process'
import {mkdir, readdir, rm, writeFile} from 'node:fs/promises'
import path from 'node:path'
import {promisify} from 'node:util'

import {packageRoot, spawnNode} from '../support/cli.js'
import {realHostRefusal} from './guard.js'
import {scenarioSteps, type ScenarioHost} from './scenario.js'

const exec = promisify(execFile)
/** Written into the scratch directory first: a directory without it is only used when it is empty. */
const MARKER = '.tsez-real-host-scratch'

const refusal = realHostRefusal({platform: process.platform, uid: process.getuid?.(), env: process.env})
if (refusal !== undefined) throw new Error(`test:freebsd refused: ${refusal}`)

/** The scratch root: TSEZ_TEST_DIR, or the mount point of TSEZ_TEST_DATASET (created when missing). */
async function scratchRoot(): Promise<{root: string; dataset: string | undefined}> {
  const dataset = process.env.TSEZ_TEST_DATASET
  if (dataset === undefined) return {root: path.resolve(process.env.TSEZ_TEST_DIR!), dataset}
  await exec('zfs', ['create', '-p', dataset])
  const {stdout} = await exec('zfs', ['get', '-H', '-o', 'value', 'mountpoint', dataset])
  return {root: stdout.trim(), dataset}
}

describe('tsez on a real FreeBSD host', function () {
  this.timeout(30 * 60_000)
  let root: string
  let configFile: string
  const host = {} as ScenarioHost

  before(async () => {
    const scratch = await scratchRoot()
    root = scratch.root
    await mkdir(root, {recursive: true})
    const entries = await readdir(root)
    if (entries.length > 0 && !entries.includes(MARKER))
      throw new Error(`${root} is not empty and was not made by this suite (${MARKER}): use an empty scratch directory`)
    await writeFile(path.join(root, MARKER), '')
    const userland = (await exec('freebsd-version', ['-u'])).stdout.trim().replace(/-p\d+$/, '')
    const release = process.env.TSEZ_TEST_RELEASE ?? userland
    const mirror = process.env.TSEZ_TEST_MIRROR ?? 'https://download.freebsd.org'
    configFile = path.join(root, 'tsez.conf')
    const keys: Record<string, string> = {
      tsez_jaildir: `${root}/jails`,
      tsez_jailconf_dir: `${root}/jail.conf.d`,
      tsez_fstab_dir: `${root}/fstab`,
      tsez_confdir: `${root}/records`,
      tsez_cachedir: `${root}/cache`,
      tsez_dbdir: `${root}/db`,
      ...(scratch.dataset ? {tsez_use_zfs: 'YES', tsez_zfs_parent: scratch.dataset} : {}),
    }
    await writeFile(
      configFile,
      Object.entries(keys)
        .map(([key, value]) => `${key}="${value}"\n`)
        .join(''),
    )
    Object.assign(host, {
      tsez: (args: string[]) =>
        spawnNode([path.join(packageRoot, 'bin/run.js'), ...args], {TSEZ_CONFIG: configFile, TSEZ_LOCK_WAIT: '60'})
          .done,
      async mountPoints() {
        const {stdout} = await exec('mount', ['-p'])
        return stdout
          .split('\n')
          .map((line) => line.split(/\s+/)[1] ?? '')
          .filter(Boolean)
      },
      installArgs: ['install', '-r', release, '-h', mirror],
      jaildir: `${root}/jails`,
      archives: `${root}/archives`,
      addresses: ['lo0|127.0.79.1', 'lo0|127.0.79.2'],
    } satisfies ScenarioHost)
    await mkdir(host.archives, {recursive: true})
    // The suite runs the release bundle, as the port installs it.
    await exec('npm', ['run', 'build'], {cwd: packageRoot})
  })

  after(async () => {
    if (!root) return
    // Whatever a failed step left: stop and wipe every jail this host's records name, then the scratch tree.
    const list = await host.tsez(['list', '--json'])
    const names = list.exitCode === 0 ? (JSON.parse(list.stdout) as {jails: Array<{name: string}>}).jails : []
    for (const {name} of names) await host.tsez(['delete', '-w', '--force', name])
    if (process.env.TSEZ_TEST_DATASET) await exec('zfs', ['destroy', '-r', process.env.TSEZ_TEST_DATASET])
    else await exec('chflags', ['-R', 'noschg', root]).then(() => rm(root, {recursive: true, force: true}))
  })

  for (const [what, step] of scenarioSteps(host)) it(what, step)
})
