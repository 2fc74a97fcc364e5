// A test host after `tsez install`: the generated release installed once per process, then copied into each host.
import {execFile} from 'node:child_process'
import {mkdir, mkdtemp} from 'node:fs/promises'
import {rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {promisify} from 'node:util'

import {loadConfig, type TsezConfig} from '../../src/config.js'
import {tsez} from './cli.js'
import {generateRelease} from '../fixtures/release.js'
import {RELEASE, createTestHost, type TestHost} from './test-host.js'

const exec = promisify(execFile)

export interface InstalledHost extends TestHost {
  config: TsezConfig
}

let golden: Promise<string> | undefined

/** Runs `tsez install --no-patch` once into a scratch host and keeps its jail directory and dbdir. */
async function goldenInstall(): Promise<string> {
  golden ??= (async () => {
    const host = await createTestHost()
    const keep = await mkdtemp(path.join(tmpdir(), 'tsez-test-installed-'))
    process.once('exit', () => rmSync(keep, {recursive: true, force: true}))
    // Kept for the whole run: the install record names it, and create builds the template's stock /etc from it.
    const releaseDir = path.join(keep, 'release-without-lib32')
    try {
      // Jails never see lib32; leaving it out keeps this install quick and independent of lib32's extraction.
      await generateRelease(releaseDir, {version: RELEASE, lib32: false, src: false})
      const result = await tsez(
        ['install', '-r', RELEASE, '-a', 'amd64/amd64', '-h', releaseDir, '--no-patch'],
        host.env,
      )
      if (result.exitCode !== 0) throw new Error(`tsez install failed in the test host: ${result.stderr}`)
      await exec('cp', ['-a', host.dirs.jaildir, path.join(keep, 'jails')])
      await exec('cp', ['-a', host.dirs.dbdir, path.join(keep, 'db')])
      return keep
    } finally {
      await host.cleanup()
    }
  })()
  return golden
}

/** A fresh test host (fake programs, temp paths) with the basejail, newjail and shipped flavours installed. */
export async function createInstalledHost(): Promise<InstalledHost> {
  const keep = await goldenInstall()
  const host = await createTestHost()
  await mkdir(path.dirname(host.dirs.jaildir), {recursive: true})
  await mkdir(path.dirname(host.dirs.dbdir), {recursive: true})
  await exec('cp', ['-a', path.join(keep, 'jails'), host.dirs.jaildir])
  await exec('cp', ['-a', path.join(keep, 'db'), host.dirs.dbdir])
  const config = await loadConfig({flag: host.configFile})
  return {...host, config}
}
