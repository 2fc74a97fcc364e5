// The stock /etc of a pkgbase release: its set installed into a scratch root, everything etcupdate drops removed.
import {readdir} from 'node:fs/promises'
import path from 'node:path'

import {fillFromPkgbase} from '../base/pkgbase-install.js'
import {BASE_PKG_DB, type PkgbaseRepo, type PkgbaseSet} from '../base/pkgbase.js'
import {stringEnv} from '../base/freebsd-update.js'
import type {Deps} from '../system/deps.js'
import {removeOwnTree} from '../system/files.js'
import {keptByEtcupdate} from './tar-filter.js'

/** Installs the set into TREE (an empty scratch directory) and leaves only what etcupdate's stock tree keeps. */
export async function installPkgbaseEtc(
  source: {repo: PkgbaseRepo; set: PkgbaseSet},
  tree: string,
  deps: Deps,
): Promise<void> {
  await fillFromPkgbase(deps.run, stringEnv(deps.env), {
    root: tree,
    confDir: path.join(path.dirname(tree), 'repos'),
    repo: source.repo,
    set: source.set,
    landmarks: ['etc/defaults/rc.conf', BASE_PKG_DB],
  })
  // pkg sets file flags (schg on libc, ld-elf.so.1...): removed with them cleared.
  for (const name of await readdir(tree))
    if (!keptByEtcupdate(name)) await removeOwnTree(deps.run, path.join(tree, name))
  // The package database is pkg's record of the scratch root, not one of the release's stock files.
  await removeOwnTree(deps.run, path.join(tree, BASE_PKG_DB))
}
