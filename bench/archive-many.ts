// Benchmark: tsez archive, restore and freeze of a jail of many small files deep down (node_modules-like) against tar.
import {mkdir, readdir, rm, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {createInstalledHost} from '../test/support/installed-host.js'
import {list, median, ratio, seconds, tsez} from './archive.js'
import {measure, report, type Measured} from './measure.js'

const FILES = Number(process.env.TSEZ_BENCH_MANY_FILES ?? 100_000)
const RUNS = Number(process.env.TSEZ_BENCH_MANY_RUNS ?? 3)

/**
 * Issue 11's archive target is for a 250 MB jail of ordinary files (bench/archive.ts); this one measures the
 * per-entry cost, where a walk that is safe against a running jail pays most: FILES files of 20-900 bytes, 50 a
 * directory, 8 directories deep. Compared with tar uncompressed (the walk alone) and with xz -T0 (as shipped);
 * freeze (which compares the jail with the newjail, then copies what was added) with `cp -a` of what was added.
 */
export async function benchArchiveMany(): Promise<void> {
  const host = await createInstalledHost()
  try {
    const env = host.env
    await measure(tsez('create', 'many', '10.0.0.1'), {env})
    const root = path.join(host.dirs.jaildir, 'many')
    await fillDeep(root, FILES)
    const out = path.join(host.root, 'bench-out')
    const untarDir = path.join(host.root, 'bench-untar')
    const copyDir = path.join(host.root, 'bench-copy')
    const runs: Record<Kind, Measured[]> = {
      tar: [],
      archive: [],
      tarXz: [],
      archiveXz: [],
      untar: [],
      restore: [],
      copy: [],
      freeze: [],
    }
    for (let i = 0; i < RUNS; i++) {
      for (const xz of [false, true]) {
        await mkdir(out)
        const tarFile = path.join(out, xz ? 'baseline.tar.xz' : 'baseline.tar')
        const tarArgs = ['tar', xz ? '-cJf' : '-cf', tarFile, '-C', root, '.']
        const tarRun = await measure(tarArgs, {env: {...env, XZ_OPT: '-T0'}})
        const archiveRun = await measure(tsez('archive', '-c', xz ? 'xz' : 'none', '-d', out, 'many'), {env})
        ;(xz ? runs.tarXz : runs.tar).push(tarRun)
        ;(xz ? runs.archiveXz : runs.archive).push(archiveRun)
        if (!xz) {
          const made = (await readdir(out)).find((name) => name.endsWith('.tsez.tar')) ?? ''
          await mkdir(untarDir)
          runs.untar.push(await measure(['tar', '-xpf', tarFile, '-C', untarDir], {env}))
          const restoreArgs = ['--name', 'copy', '--ip', '10.0.0.2', path.join(out, made)]
          runs.restore.push(await measure(tsez('restore', ...restoreArgs), {env}))
          await measure(tsez('delete', '-w', '--force', 'copy'), {env})
          await rm(untarDir, {recursive: true, force: true})
        }
        await rm(out, {recursive: true, force: true})
      }
      // freeze copies what the jail added (all of node_modules) after comparing the tree with the newjail
      runs.copy.push(await measure(['cp', '-a', path.join(root, 'usr/local/lib/node_modules'), copyDir], {env}))
      await rm(copyDir, {recursive: true, force: true})
      runs.freeze.push(await measure(tsez('freeze', 'many', `many${i}`), {env}))
      await rm(path.join(host.dirs.flavours, `many${i}`), {recursive: true, force: true})
    }
    const m = Object.fromEntries(Object.entries(runs).map(([key, value]) => [key, median(value)])) as Record<
      Kind,
      number
    >
    const line = (value: number, baseline: number) =>
      `${seconds(value)}: ${ratio(value, baseline)} (${seconds(baseline)})`
    report(`archive/restore: ${FILES} small files 8 directories deep, median of ${RUNS}`, [
      ['archive -c none / tar -cf', line(m.archive, m.tar)],
      ['archive (xz) / tar -cJf (XZ_OPT=-T0)', line(m.archiveXz, m.tarXz)],
      ['restore of -c none / tar -xpf', line(m.restore, m.untar)],
      ['freeze / cp -a of what it adds', line(m.freeze, m.copy)],
      [
        'runs (s)',
        Object.entries(runs)
          .map(([key, value]) => `${key} ${list(value)}`)
          .join('; '),
      ],
    ])
  } finally {
    await host.cleanup()
  }
}

type Kind = 'tar' | 'archive' | 'tarXz' | 'archiveXz' | 'untar' | 'restore' | 'copy' | 'freeze'

/** usr/local/lib/node_modules/pN/lib/sM/fK.js: N files in directories of 50, ten of them a package. */
async function fillDeep(root: string, files: number): Promise<void> {
  let made = 0
  for (let p = 0; made < files; p++) {
    for (let s = 0; s < 10 && made < files; s++) {
      const dir = path.join(root, 'usr/local/lib/node_modules', `p${p}`, 'lib', `s${s}`)
      await mkdir(dir, {recursive: true})
      for (let k = 0; k < 50 && made < files; k++, made++) {
        await writeFile(path.join(dir, `f${k}.js`), `module.exports = ${made}\n`.repeat(1 + (made % 40)))
      }
    }
  }
}
