// A throwaway host for end-to-end tests: every tsez path in a temp dir, fake FreeBSD programs, a served release.
import {cp, mkdir, mkdtemp, rm, writeFile} from 'node:fs/promises'
import {rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {createFakeHost, type FakeHost} from '../fixtures/fake-host.js'
import {serveDirectory, type ServedDirectory} from '../fixtures/http-server.js'
import {generateRelease, type GeneratedRelease} from '../fixtures/release.js'
import {removeTree} from './tree.js'

export const RELEASE = '14.3-RELEASE'
export const RELEASE_PATH = `releases/amd64/amd64/${RELEASE}`

let shared: Promise<{mirror: string; release: GeneratedRelease}> | undefined

/** The generated release, built once per test process under mirror/releases/amd64/amd64/14.3-RELEASE. */
export async function sharedRelease(): Promise<{mirror: string; release: GeneratedRelease}> {
  shared ??= (async () => {
    const mirror = await mkdtemp(path.join(tmpdir(), 'tsez-test-mirror-'))
    process.once('exit', () => rmSync(mirror, {recursive: true, force: true}))
    const release = await generateRelease(path.join(mirror, RELEASE_PATH), {version: RELEASE})
    return {mirror, release}
  })()
  return shared
}

export interface TestHost {
  /** Everything tsez writes lies below this directory. */
  root: string
  dirs: ReturnType<typeof hostDirs>
  configFile: string
  fake: FakeHost
  /** Environment overlay for tsez: fake programs first on PATH, TSEZ_CONFIG, a short lock wait. */
  env: NodeJS.ProcessEnv
  /** This host's own copy of the release mirror (tests may damage it). */
  mirror: string
  releaseDir: string
  release: GeneratedRelease
  server: ServedDirectory
  /** `-h` value for the HTTP mirror. */
  httpMirror: string
  cleanup(): Promise<void>
}

export async function createTestHost(): Promise<TestHost> {
  const {mirror: sharedMirror, release} = await sharedRelease()
  const root = await mkdtemp(path.join(tmpdir(), 'tsez-test-host-'))
  const mirror = path.join(root, 'mirror')
  await cp(sharedMirror, mirror, {recursive: true})
  const host = path.join(root, 'host')
  const dirs = hostDirs(host)
  await mkdir(host)
  const configFile = path.join(root, 'tsez.conf')
  await writeHostConfig(configFile, host)
  const fake = await createFakeHost()
  const server = await serveDirectory(mirror)
  return {
    root,
    dirs,
    configFile,
    fake,
    env: {...fake.env, TSEZ_CONFIG: configFile, TSEZ_LOCK_WAIT: '2'},
    mirror,
    releaseDir: path.join(mirror, RELEASE_PATH),
    release,
    server,
    httpMirror: server.url,
    async cleanup() {
      await server.close()
      await fake.cleanup()
      await removeTree(root)
      await rm(root, {recursive: true, force: true})
    },
  }
}

/** Where each tsez path lies below a test host's root directory, as on a FreeBSD host. */
export function hostDirs(host: string) {
  return {
    jaildir: path.join(host, 'usr/jails'),
    basejail: path.join(host, 'usr/jails/basejail'),
    newjail: path.join(host, 'usr/jails/newjail'),
    flavours: path.join(host, 'usr/jails/flavours'),
    jailconf: path.join(host, 'etc/jail.conf.d'),
    fstab: path.join(host, 'etc'),
    confdir: path.join(host, 'usr/local/etc/tsez'),
    cachedir: path.join(host, 'var/cache/tsez'),
    dbdir: path.join(host, 'var/db/tsez'),
    /** Trusted MANIFESTs (misc/freebsd-release-manifests): absent unless a test puts one there. */
    manifests: path.join(host, 'usr/local/share/freebsd/MANIFESTS'),
  }
}

/** A tsez.conf that puts every path tsez writes below `host`. */
export async function writeHostConfig(file: string, host: string): Promise<void> {
  const dirs = hostDirs(host)
  const lines = [
    `tsez_jaildir="${dirs.jaildir}"`,
    `tsez_jailconf_dir="${dirs.jailconf}"`,
    `tsez_fstab_dir="${dirs.fstab}"`,
    `tsez_confdir="${dirs.confdir}"`,
    `tsez_cachedir="${dirs.cachedir}"`,
    `tsez_dbdir="${dirs.dbdir}"`,
    `tsez_manifests="${dirs.manifests}"`,
  ]
  await writeFile(file, lines.join('\n') + '\n')
}

/** argv for the standard install of the generated release from the test host's HTTP mirror. */
export function installArgs(host: TestHost, ...extra: string[]): string[] {
  return ['install', '-r', RELEASE, '-a', 'amd64/amd64', '-h', host.httpMirror, ...extra]
}
