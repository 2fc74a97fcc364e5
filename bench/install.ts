// bench/install: tsez install from a file:// mirror against `bsdtar -xpf` plus the ezjail mv split, same run.
import {existsSync} from 'node:fs'
import {mkdir, mkdtemp, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {createFakeHost} from '../test/fixtures/fake-host.js'
import {generateRelease} from '../test/fixtures/release.js'
import {packageRoot} from '../test/support/cli.js'
import {SPLIT_DIRS} from '../test/support/reference-install.js'
import {listTxz} from '../test/fixtures/release/listing.js'
import {diffTrees, removeTree, snapshotTree} from '../test/support/tree.js'
import {measure, measureMemory, report, type MeasuredMemory} from './measure.js'

const RELEASE = '14.3-RELEASE'
const SCALE = {files: 20_000, bytes: 250_000_000}
const ROUNDS = Number(process.env.TSEZ_BENCH_INSTALL_ROUNDS ?? 5)

/** The scaled release is expensive to generate (tens of seconds): kept in the temp dir between bench runs. */
async function scaledRelease(): Promise<string> {
  const dir = path.join(tmpdir(), `tsez-bench-release-${SCALE.files}-${SCALE.bytes}`)
  if (!existsSync(path.join(dir, 'MANIFEST'))) {
    process.stderr.write(`generating a ${SCALE.bytes / 1e6} MB, ${SCALE.files}-file release in ${dir}...\n`)
    await generateRelease(dir, {version: RELEASE, scale: SCALE, src: false})
  }
  return dir
}

/** The baseline, as a shell script: what an administrator would do by hand. */
function baselineScript(release: string, target: string): string {
  const moves = SPLIT_DIRS.map(
    (dir) =>
      `if [ -e "${target}/newjail/${dir}" ]; then mv "${target}/newjail/${dir}" "${target}/basejail/${dir}"; fi; ln -s "/basejail/${dir}" "${target}/newjail/${dir}"`,
  )
  return [
    'set -e',
    `mkdir -p "${target}/newjail" "${target}/basejail/usr"`,
    `bsdtar -xpf "${release}/base.txz" --numeric-owner -C "${target}/newjail"`,
    `bsdtar -xpf "${release}/lib32.txz" --numeric-owner -C "${target}/newjail"`,
    ...moves,
    `ln -s /basejail/usr/ports "${target}/newjail/usr/ports"`,
    `mkdir "${target}/newjail/basejail"`,
  ].join('\n')
}

export async function benchInstall(): Promise<void> {
  const release = await scaledRelease()
  const fake = await createFakeHost()
  const work = await mkdtemp(path.join(process.env.TSEZ_BENCH_DIR ?? tmpdir(), 'tsez-bench-install-'))
  // Both sides are watched alike (polling /proc every 20 ms): tsez's peak RSS is one of the targets.
  const baseline: MeasuredMemory[] = []
  const tsez: MeasuredMemory[] = []
  let differences: string[] = []
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const ref = path.join(work, `ref-${round}`)
      // `sync` first, each side: neither pays for the other's 250 MB of dirty pages still being written back.
      await flushed()
      baseline.push(await measureMemory(['sh', '-c', baselineScript(release, ref)]))

      const host = path.join(work, `host-${round}`)
      const config = path.join(work, `tsez-${round}.conf`)
      await mkdir(host)
      await writeFile(
        config,
        ['jaildir', 'dbdir', 'cachedir', 'confdir'].map((key) => `tsez_${key}="${host}/${key}"`).join('\n') + '\n',
      )
      const argv = ['install', '-r', RELEASE, '-a', 'amd64/amd64', '-h', `file://${release}`, '--no-patch']
      await flushed()
      tsez.push(
        await measureMemory([process.execPath, path.join(packageRoot, 'bin/run.js'), ...argv], {
          env: {...fake.env, TSEZ_CONFIG: config, NODE_ENV: 'production'},
        }),
      )
      if (round === 0) differences = await unfaithful(release, ref, path.join(host, 'jaildir'))
      await removeTree(ref)
      await removeTree(host)
    }
  } finally {
    await removeTree(work)
    await fake.cleanup()
  }
  const b = median(baseline.map((run) => run.seconds))
  const t = median(tsez.map((run) => run.seconds))
  const all = (runs: MeasuredMemory[]) => runs.map((run) => run.seconds.toFixed(2)).join(', ')
  report(`install: 250 MB / 20,000-entry base + lib32, file:// mirror, median of ${ROUNDS}`, [
    ['bsdtar -xpf + mv split', `${b.toFixed(2)} s  (runs: ${all(baseline)})`],
    ['tsez install --no-patch', `${t.toFixed(2)} s  (runs: ${all(tsez)})`],
    ['ratio tsez / baseline', `${(t / b).toFixed(2)}x medians  (target <= 0.8, aim 0.7)`],
    ['tsez peak RSS (node)', `${Math.max(...tsez.map((r) => r.peakRssMb)).toFixed(0)} MB  (target <= 256)`],
    ['tsez peak RSS (node + xz)', `${Math.max(...tsez.map((r) => r.peakTreeRssMb)).toFixed(0)} MB`],
    ['tree equal to bsdtar + mv split', differences.length === 0 ? 'yes' : `NO: ${differences.slice(0, 5).join('; ')}`],
  ])
  if (differences.length > 0) process.exitCode = 1
}

/**
 * The install test's fidelity check on the benchmark's own trees: tsez's basejail and newjail against the
 * baseline's, entry by entry. Directory mtimes differ only where either tool touches a directory after its entry:
 * the split, and the directories lib32 also holds.
 */
async function unfaithful(release: string, ref: string, jaildir: string): Promise<string[]> {
  const dirsOf = async (set: string) =>
    (await listTxz(path.join(release, `${set}.txz`)))
      .filter((entry) => entry.type === 'Directory')
      .map((entry) => entry.path.replace(/^\.\/|\/$/g, ''))
  const base = new Set(await dirsOf('base'))
  const shared = (await dirsOf('lib32')).filter((dir) => base.has(dir))
  const basejail = diffTrees(
    await snapshotTree(path.join(ref, 'basejail')),
    await snapshotTree(path.join(jaildir, 'basejail')),
    {ignoreMtimeOf: ['.', 'usr', ...shared]},
  )
  const newjail = diffTrees(
    await snapshotTree(path.join(ref, 'newjail')),
    await snapshotTree(path.join(jaildir, 'newjail')),
    {ignoreMtimeOf: ['.', 'usr', 'basejail', 'usr/ports', ...SPLIT_DIRS, ...shared]},
  )
  return [...basejail, ...newjail]
}

function flushed(): Promise<unknown> {
  return measure(['sync'])
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}
