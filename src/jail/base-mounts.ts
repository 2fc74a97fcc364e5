// Whether running jails have the basejail nullfs-mounted: a base is never replaced from under them.
import type {TsezConfig} from '../config.js'
import {UsageError} from '../errors.js'
import type {Deps} from '../system/deps.js'
import {parseMountP} from './fstab.js'

/** Running jails have the basejail nullfs-mounted: it is never replaced from under them (exit 2). */
export async function refuseWhileMounted(config: TsezConfig, deps: Deps): Promise<void> {
  const result = await deps.run.run('mount', ['-p'])
  const users = parseMountP(result.stdout).filter(
    (m) => m.device === config.basejail || m.mountPoint.startsWith(config.basejail + '/'),
  )
  if (users.length > 0) {
    throw new UsageError(
      `the basejail is mounted at ${users.map((m) => m.mountPoint).join(', ')}: stop those jails before replacing it`,
    )
  }
}
