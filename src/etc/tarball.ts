// Builds, once per release, the stock /etc tarball etcupdate -t takes, from the release's verified base set.
import {randomBytes} from 'node:crypto'
import {lstat, mkdir, readdir, rename, rm, rmdir, unlink} from 'node:fs/promises'
import path from 'node:path'
import {pipeline} from 'node:stream'

import type {TsezConfig} from '../config.js'
import {OperationError} from '../errors.js'
import {cacheDirFor, manifestCachePath} from '../dist/cache.js'
import {fetchLimits, type FetchLimits} from '../dist/http.js'
import {chooseManifest} from '../dist/manifest-source.js'
import {describeMirror, type Mirror, type Platform, type Release} from '../dist/release.js'
import type {Deps} from '../system/deps.js'
import {extractTar} from '../dist/extract.js'
import {unpackSet} from '../dist/unpack.js'
import {pathExists, removeOwnTree, writeFileAtomic} from '../system/files.js'
import {etcTarballPath} from './etcupdate.js'
import {installPkgbaseEtc} from './pkgbase-etc.js'
import type {PkgbaseRepo, PkgbaseSet} from '../base/pkgbase.js'
import {tarEntryFilter} from './tar-filter.js'

/** Distribution sets: base.txz of the release at MIRROR. pkgbase: the release's packages from its repository. */
export type EtcSource = {release: Release; platform: Platform} & (
  {mirror: Mirror; pkgbase?: undefined} | {mirror?: undefined; pkgbase: {repo: PkgbaseRepo; set: PkgbaseSet}}
)

/** Files etcupdate's build step deletes because they are generated (etcupdate.sh build_tree: autogenfiles). */
const GENERATED = ['etc/passwd', 'var/db/services.db']

/** Returns the cached tarball for the release, building it first when missing. */
export async function ensureEtcTarball(
  config: TsezConfig,
  source: EtcSource,
  deps: Deps,
): Promise<{path: string; built: boolean}> {
  const out = etcTarballPath(config, source.release.name)
  if (await pathExists(out)) return {path: out, built: false}
  const work = path.join(path.dirname(out), `.build-${source.release.name}-${randomBytes(4).toString('hex')}`)
  const tree = path.join(work, 'tree')
  const step = deps.progress.step(`stock /etc of ${source.release.name}: building ${out}`)
  try {
    await mkdir(tree, {recursive: true, mode: 0o700})
    if (source.pkgbase) await installPkgbaseEtc(source.pkgbase, tree, deps)
    else await extractStockTree(config, source, tree, deps)
    await pruneGenerated(tree)
    const temp = path.join(work, path.basename(out))
    await deps.run.run('tar', ['-cjf', temp, '-C', tree, '.'])
    await rename(temp, out)
    step.succeed(`stock /etc of ${source.release.name}: ${out}`)
    return {path: out, built: true}
  } catch (error) {
    step.fail(`stock /etc of ${source.release.name}: failed`)
    throw error
  } finally {
    // tsez never applied file flags to an extracted tree (extractTar only reports them), but pkg sets them.
    if (source.pkgbase) await removeOwnTree(deps.run, work)
    else await rm(work, {recursive: true, force: true})
    await rmdir(path.dirname(out)).catch(() => undefined) // only when empty: a failed first build leaves nothing
  }
}

async function extractStockTree(
  config: TsezConfig,
  source: EtcSource & {mirror: Mirror},
  tree: string,
  deps: Deps,
): Promise<void> {
  const limits = fetchLimits(deps.env)
  const base = await baseSetEntry(config, source, deps, limits)
  await unpackSet(
    deps.run,
    {
      mirror: source.mirror,
      file: base.file,
      sha256: base.sha256,
      cacheDir: cacheDirFor(config, source.release, source.platform),
      warn: (line) => deps.log.warn(line),
      limits,
    },
    (tar) => {
      const filter = tarEntryFilter()
      pipeline(tar, filter, () => undefined)
      return extractTar(filter, tree)
    },
  )
}

/** MANIFEST's base entry: a trusted MANIFEST first (tsez_manifests), else the mirror's, kept for published releases. */
async function baseSetEntry(config: TsezConfig, source: EtcSource & {mirror: Mirror}, deps: Deps, limits: FetchLimits) {
  const lookup = {...source, limits, note: (line: string) => deps.log.info(line)}
  const choice = await chooseManifest(config, lookup)
  if (!choice) {
    throw new OperationError(
      `no MANIFEST at ${describeMirror(source.mirror)} and no trusted one: cannot verify base.txz of ${source.release.name}; check -r and -h`,
    )
  }
  const base = choice.entries.get('base')
  if (!base)
    throw new OperationError(
      `${choice.trusted ?? `MANIFEST at ${describeMirror(source.mirror)}`} does not list the base set`,
    )
  const cached = manifestCachePath(config, source.release, source.platform, source.mirror)
  if (cached && choice.mirrorText !== undefined) await writeFileAtomic(cached, choice.mirrorText)
  return base
}

/** As etcupdate's build: remove etc/*.db, etc/passwd, var/db/services.db, then empty files, then empty dirs. */
export async function pruneGenerated(tree: string): Promise<void> {
  const etc = path.join(tree, 'etc')
  const etcNames = await readdir(etc).catch(() => [] as string[])
  const generated = [...etcNames.filter((name) => name.endsWith('.db')).map((name) => `etc/${name}`), ...GENERATED]
  for (const relative of generated) {
    const file = path.join(tree, relative)
    const info = await lstat(file).catch(() => undefined)
    if (info && !info.isDirectory()) await unlink(file)
  }
  await pruneEmpty(tree, true)
}

/** Depth-first: deletes empty regular files, then directories left empty (never the top). Returns true if empty. */
async function pruneEmpty(dir: string, top: boolean): Promise<boolean> {
  let remaining = 0
  for (const entry of await readdir(dir, {withFileTypes: true})) {
    const full = path.join(dir, entry.name)
    if (entry.isDirectory()) {
      if (await pruneEmpty(full, false)) continue
    } else if (entry.isFile() && (await lstat(full)).size === 0) {
      await unlink(full)
      continue
    }
    remaining++
  }
  if (remaining === 0 && !top) {
    await rmdir(dir)
    return true
  }
  return false
}
