// When the real-host suite may run: FreeBSD, root, TSEZ_REAL_HOST=1 and a scratch directory or dataset it may destroy.
import path from 'node:path'

export interface RealHostFacts {
  platform: NodeJS.Platform
  uid: number | undefined
  env: NodeJS.ProcessEnv
}

/** Why the suite must not run on this host, or undefined when every condition holds. */
export function realHostRefusal({platform, uid, env}: RealHostFacts): string | undefined {
  if (platform !== 'freebsd') return `it runs only on FreeBSD (this is ${platform})`
  if (uid !== 0) return 'it must run as root (jail, mount, chflags)'
  if (env.TSEZ_REAL_HOST !== '1') return 'set TSEZ_REAL_HOST=1 to let it create, start and destroy jails on this host'
  const dir = env.TSEZ_TEST_DIR
  const dataset = env.TSEZ_TEST_DATASET
  if (!dir && !dataset)
    return 'name a scratch directory (TSEZ_TEST_DIR) or ZFS dataset (TSEZ_TEST_DATASET) it may destroy'
  if (dir !== undefined && (!path.isAbsolute(dir) || path.resolve(dir) === '/' || dir.includes('\n')))
    return `TSEZ_TEST_DIR must be an absolute directory other than /, got ${JSON.stringify(dir)}`
  if (dataset !== undefined && !/^[A-Za-z][A-Za-z0-9_.:-]*\/[A-Za-z0-9_.:/-]+$/.test(dataset))
    return `TSEZ_TEST_DATASET must be a dataset below a pool (pool/scratch), got ${JSON.stringify(dataset)}`
  return undefined
}
