// Benchmark: tsez archive and restore of a ~250 MB jail against `tar -cJf` (XZ_OPT=-T0) and `tar -xJpf` of the same tree.
import {randomBytes} from 'node:crypto'
import {link, mkdir, readdir, rm, symlink, writeFile} from 'node:fs/promises'
import {availableParallelism} from 'node:os'
import path from 'node:path'
import {pathToFileURL} from 'node:url'

import {packageRoot} from '../test/support/cli.js'
import {createInstalledHost} from '../test/support/installed-host.js'
import {measure, measureMemory, report, type Measured} from './measure.js'

/** Median of this many runs each; one run of each is ~10-20 s on 2 cores. */
const RUNS = Number(process.env.TSEZ_BENCH_ARCHIVE_RUNS ?? 5)
const MB = Number(process.env.TSEZ_BENCH_ARCHIVE_MB ?? 250)
const TARGET_RATIO = 1.2
const TARGET_RSS_MB = 256
const FLOOR = path.join(packageRoot, 'bench', 'floors', 'restore.mjs')

export async function benchArchive(): Promise<void> {
  const host = await createInstalledHost()
  try {
    const env = host.env
    await measure(tsez('create', 'big', '10.0.0.1'), {env})
    const root = path.join(host.dirs.jaildir, 'big')
    const files = await fillJail(root, MB)
    const out = path.join(host.root, 'bench-out')
    await mkdir(out)

    const archive: Measured[] = []
    const tar: Measured[] = []
    const restore: Measured[] = []
    const untar: Measured[] = []
    const inspect: Measured[] = []
    const floor: Measured[] = []
    let peakRssMb = 0
    let peakTreeRssMb = 0
    for (let i = 0; i < RUNS; i++) {
      // tar first, tsez second, alternating: both see the same page cache
      const tarFile = path.join(out, 'baseline.tar.xz')
      tar.push(await measure(['tar', '-cJf', tarFile, '-C', root, '.'], {env: {...env, XZ_OPT: '-T0'}}))
      const watched = i === 0 ? await measureMemory(tsez('archive', '-d', out, 'big'), {env}) : undefined
      archive.push(watched ?? (await measure(tsez('archive', '-d', out, 'big'), {env})))
      peakRssMb = Math.max(peakRssMb, watched?.peakRssMb ?? 0)
      peakTreeRssMb = Math.max(peakTreeRssMb, watched?.peakTreeRssMb ?? 0)
      const made = (await readdir(out)).find((name) => name.endsWith('.tsez.tar.xz')) ?? ''
      const untarDir = path.join(out, 'untar')
      await mkdir(untarDir)
      untar.push(await measure(['tar', '-xJpf', tarFile, '-C', untarDir], {env: {...env, XZ_OPT: '-T0'}}))
      const restoreArgs = ['--name', 'copy', '--ip', '10.0.0.2', path.join(out, made)]
      inspect.push(await measure(tsez('restore', '--dry-run', ...restoreArgs), {env}))
      restore.push(await measure(tsez('restore', ...restoreArgs), {env}))
      // The least a Node.js restore does (bench/floors/restore.mjs): sha256, xz, node-tar, owners, modes, times.
      const floorDir = path.join(out, 'floor')
      await mkdir(floorDir)
      floor.push(await measure([process.execPath, FLOOR, path.join(out, made), floorDir], {env}))
      await measure(tsez('delete', '-w', '--force', 'copy'), {env})
      await rm(out, {recursive: true, force: true})
      await mkdir(out)
    }
    const [a = 0, t = 0, r = 0, u = 0, i = 0, f = 0] = [archive, tar, restore, untar, inspect, floor].map(median)
    report(`archive/restore: a ${MB} MB jail (${files} files), median of ${RUNS}`, [
      ['machine', `${availableParallelism()} cores, Node.js ${process.version}`],
      ['tar -cJf (XZ_OPT=-T0)', seconds(t)],
      ['tsez archive', `${seconds(a)}: ${ratio(a, t)} (target <= ${TARGET_RATIO}x)`],
      [
        'tsez archive peak RSS',
        `${peakRssMb.toFixed(0)} MB (target <= ${TARGET_RSS_MB} MB); with xz ${peakTreeRssMb.toFixed(0)} MB`,
      ],
      ['tar -xJpf', seconds(u)],
      ['tsez restore', `${seconds(r)}: ${ratio(r, u)} (target <= ${TARGET_RATIO}x)`],
      ['bare Node.js floor (sha256, xz, node-tar, owners, modes, times; no checks)', `${seconds(f)}: ${ratio(f, u)}`],
      ['of which --dry-run', `${seconds(i)} (start-up, sha256, the whole archive read and checked)`],
      ['runs (s)', `archive ${list(archive)}; tar ${list(tar)}; restore ${list(restore)}; untar ${list(untar)}`],
    ])
  } finally {
    await host.cleanup()
  }
}

/**
 * Puts ~MB megabytes into the jail as a jail holds them: mostly text-like files of 4-200 KB (configs, scripts,
 * sources, compressible), a fifth in binary-like 1 MB files (packages, incompressible), hard links and symlinks.
 */
async function fillJail(root: string, mb: number): Promise<number> {
  const words = Array.from({length: 4096}, () => randomBytes(6).toString('base64url'))
  let bytes = 0
  let files = 0
  const text = path.join(root, 'usr/local/share/bench')
  const binary = path.join(root, 'usr/local/lib/bench')
  await mkdir(binary, {recursive: true})
  for (let dir = 0; bytes < mb * 0.8 * 1024 * 1024; dir++) {
    const folder = path.join(text, `d${dir}`)
    await mkdir(folder, {recursive: true})
    for (let i = 0; i < 100 && bytes < mb * 0.8 * 1024 * 1024; i++) {
      const size = 4096 + Math.floor(Math.random() * 200 * 1024)
      const parts: string[] = []
      for (let length = 0; length < size; length += 7) parts.push(words[Math.floor(Math.random() * words.length)]!)
      await writeFile(path.join(folder, `f${i}.txt`), parts.join(i % 3 === 0 ? '\n' : ' '))
      bytes += size
      files++
    }
  }
  for (let i = 0; bytes < mb * 1024 * 1024; i++) {
    await writeFile(path.join(binary, `lib${i}.so`), randomBytes(1024 * 1024))
    await link(path.join(binary, `lib${i}.so`), path.join(binary, `lib${i}.so.1`))
    await symlink(`lib${i}.so.1`, path.join(binary, `lib${i}.so.1.0`))
    bytes += 1024 * 1024
    files += 3
  }
  return files
}

/**
 * The release bundle's argv: bin/run.js, or on a Node.js older than 22 (which bin/run.js refuses) the same bundle
 * imported directly, without the compile cache: the archive and restore work is the same.
 */
export function tsez(...args: string[]): string[] {
  if (Number(process.versions.node.split('.')[0]) >= 22) {
    return [process.execPath, path.join(packageRoot, 'bin', 'run.js'), ...args]
  }
  const bundle = pathToFileURL(path.join(packageRoot, 'dist', 'src', 'cli', 'oclif.js')).href
  const dir = pathToFileURL(path.join(packageRoot, 'bin', 'run.js')).href
  const launch = `const {execute} = await import(${JSON.stringify(bundle)}); await execute({dir: ${JSON.stringify(dir)}})`
  return [process.execPath, '--input-type=module', '-e', launch, 'tsez', ...args]
}

export function median(runs: Measured[]): number {
  const sorted = runs.map((run) => run.seconds).sort((x, y) => x - y)
  return sorted[Math.floor(sorted.length / 2)] ?? 0
}

export function seconds(value: number): string {
  return `${value.toFixed(2)} s`
}

export function ratio(value: number, baseline: number): string {
  return `${(value / baseline).toFixed(2)}x`
}

export function list(runs: Measured[]): string {
  return runs.map((run) => run.seconds.toFixed(1)).join(' ')
}
