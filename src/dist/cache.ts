// Where the set cache keeps a release: tsez_cachedir/RELEASE/MACHINE-ARCH/SHA256/FILE.
import path from 'node:path'

import type {TsezConfig} from '../config.js'
import type {Platform, Release} from './release.js'

/** The cache directory of one release and platform; each verified set sits below it under its sha256. */
export function cacheDirFor(config: TsezConfig, release: Release, platform: Platform): string {
  return path.join(config.cachedir, release.name, `${platform.machine}-${platform.arch}`)
}
