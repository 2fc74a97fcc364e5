// bench/install: tsez install from a file:// mirror against `bsdtar -xpf` plus the ezjail mv split, same run.
import {existsSync} from 'node:fs'
import {mkdir, mkdtemp, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {createFakeHost} from '../test/fixtures/fake-host.js'
import {generateRelease} from '../test/fixtures/release.js'
import {packageRoot} from '../test/support/cli.js'
import {SPLIT_DIRS} from '../test/support/reference-install.js'
import {removeTree} from '../test/support/tree.js'
import {measureMemory, report, type MeasuredMemory} from './measure.js'

const RELEASE = '14.3-RELEASE'
const SCALE = {files: 20_000, bytes: 250_000_000}
const ROUNDS = 3

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
    `bsdtar -xpf "${release}/base.txz" -C "${target}/newjail"`,
    `bsdtar -xpf "${release}/lib32.txz" -C "${target}/newjail"`,
    ...moves,
    `ln -s /basejail/usr/ports "${target}/newjail/usr/ports"`,
    `mkdir "${target}/newjail/basejail"`,
  ].join('\n')
}

export async function benchInstall(): Promise<void> {
  const release = await scaledRelease()
  const fake = await createFakeHost()
  const work = await mkdtemp(path.join(tmpdir(), 'tsez-bench-install-'))
  // Both sides are watched alike (polling /proc every 20 ms): tsez's peak RSS is one of the targets.
  const baseline: MeasuredMemory[] = []
  const tsez: MeasuredMemory[] = []
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const ref = path.join(work, `ref-${round}`)
      baseline.push(await measureMemory(['sh', '-c', baselineScript(release, ref)]))
      await removeTree(ref)

      const host = path.join(work, `host-${round}`)
      const config = path.join(work, `tsez-${round}.conf`)
      await mkdir(host)
      await writeFile(
        config,
        ['jaildir', 'dbdir', 'cachedir', 'confdir'].map((key) => `tsez_${key}="${host}/${key}"`).join('\n') + '\n',
      )
      const argv = ['install', '-r', RELEASE, '-a', 'amd64/amd64', '-h', `file://${release}`, '--no-patch']
      tsez.push(
        await measureMemory([process.execPath, path.join(packageRoot, 'bin/run.js'), ...argv], {
          env: {...fake.env, TSEZ_CONFIG: config, NODE_ENV: 'production'},
        }),
      )
      await removeTree(host)
    }
  } finally {
    await removeTree(work)
    await fake.cleanup()
  }
  const best = (runs: MeasuredMemory[]) => runs.reduce((a, b) => (a.seconds <= b.seconds ? a : b))
  const b = best(baseline)
  const t = best(tsez)
  report('install: 250 MB / 20,000-entry base + lib32, file:// mirror', [
    ['bsdtar -xpf + mv split (best of 3)', `${b.seconds.toFixed(2)} s`],
    [
      'tsez install --no-patch (best of 3)',
      `${t.seconds.toFixed(2)} s  (all: ${tsez.map((r) => r.seconds.toFixed(2)).join(', ')})`,
    ],
    ['ratio tsez / baseline', `${(t.seconds / b.seconds).toFixed(2)}x  (must be <= 1.0, aim 0.9)`],
    ['tsez peak RSS (node)', `${Math.max(...tsez.map((r) => r.peakRssMb)).toFixed(0)} MB  (must be <= 256)`],
    ['tsez peak RSS (node + xz)', `${Math.max(...tsez.map((r) => r.peakTreeRssMb)).toFixed(0)} MB`],
  ])
}
