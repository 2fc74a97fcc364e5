// Bootstraps a jail's etcupdate state for its release, so a later `tsez update -U` can merge its /etc.
import type {TsezConfig} from '../config.js'
import {OperationError} from '../errors.js'
import {parseRelease, resolveMirror, type Mirror, type Release} from '../dist/release.js'
import type {JailRecord} from '../jail/store.js'
import type {Deps} from '../system/deps.js'
import {ensureEtcTarball, type EtcSource} from './tarball.js'
import {extractEtcState} from './etcupdate.js'
import {readInstallRecord, recordPlatform, type InstallRecord} from '../base/install-record.js'
import {providerKind, recordedPkgbase, recordedRepo} from '../base/provider.js'

/**
 * `etcupdate extract -D ROOT -t etc-RELEASE.tbz` for a jail (create calls this once the root is in place). The
 * tarball is the stock /etc of the jail's recorded release, built once and cached under tsez_dbdir.
 */
export async function bootstrapJailEtc(
  config: TsezConfig,
  record: Pick<JailRecord, 'name' | 'root' | 'release'>,
  deps: Deps,
): Promise<{tarball: string}> {
  const install = await readInstallRecord(config)
  if (!install)
    throw new OperationError(`no basejail installed (${config.dbdir}/release.json is missing): run tsez install`)
  const source = etcSourceFor(config, install, parseRelease(record.release))
  const {path: tarball} = await ensureEtcTarball(config, source, deps)
  await extractEtcState(deps.run, record.root, tarball)
  return {tarball}
}

/**
 * Where the stock /etc of RELEASE comes from: the directory install used when it is the installed release; else
 * MIRROR (update -U's -h, meant for the target release only) or tsez_mirror. Dist sets exist per release, not per
 * patch level: the record's release is a name without -pN, as Release.name is.
 */
export function etcSourceFor(config: TsezConfig, install: InstallRecord, release: Release, mirror?: string): EtcSource {
  const platform = recordPlatform(install)
  if (providerKind(install) === 'pkgbase') {
    const pkgbase = {repo: recordedRepo(config, install, release, mirror), set: recordedPkgbase(install).set}
    return {release, platform, pkgbase}
  }
  const sameAsInstalled = install.release === release.name
  const chosen: Mirror | undefined = mirror === undefined && sameAsInstalled ? install.mirror : undefined
  return {release, platform, mirror: chosen ?? resolveMirror(mirror ?? config.mirror, release, platform)}
}
