// `npm run sandbox`: a persistent throwaway host to try tsez by hand — fake FreeBSD programs, two generated releases
// served on loopback, a tsez.conf, and an env file to source — serving until Ctrl-C, reused by the next run.
import {existsSync} from 'node:fs'
import {chmod, mkdir, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {FAKE_BIN_DIR} from './fixtures/fake-host.js'
import {serveDirectory} from './fixtures/http-server.js'
import {generateRelease} from './fixtures/release.js'
import {packageRoot} from './support/cli.js'
import {hostDirs, writeHostConfig} from './support/test-host.js'

/** The releases the sandbox mirror holds: install one, then `update -U -r` to the other. */
const RELEASES = ['14.3-RELEASE', '15.0-RELEASE']
const ARCH = 'amd64/amd64'

async function main(): Promise<void> {
  const root = path.resolve(process.env.TSEZ_SANDBOX ?? path.join(tmpdir(), 'tsez-sandbox'))
  const mirror = path.join(root, 'mirror')
  for (const release of RELEASES) {
    const dir = path.join(mirror, 'releases', ARCH, release)
    if (existsSync(path.join(dir, 'MANIFEST'))) continue
    say(`generating a miniature ${release} in ${dir}...`)
    await generateRelease(dir, {version: release})
  }
  await mkdir(path.join(root, 'fake-host', 'jails'), {recursive: true})
  const server = await serveDirectory(mirror)
  const configFile = path.join(root, 'tsez.conf')
  await writeHostConfig(configFile, path.join(root, 'host'))
  await writeFile(configFile, `tsez_mirror="${server.url}"\n`, {flag: 'a'})
  const binDir = path.join(root, 'bin')
  await mkdir(binDir, {recursive: true})
  const tsezScript = path.join(binDir, 'tsez')
  await writeFile(
    tsezScript,
    `#!/bin/sh\nexec node --import ${sh(import.meta.resolve('tsx'))} ${sh(path.join(packageRoot, 'bin/dev.js'))} "$@"\n`,
  )
  await chmod(tsezScript, 0o755)
  const envFile = path.join(root, 'env')
  const exports = {
    PATH: `${binDir}:${FAKE_BIN_DIR}:${process.env.PATH ?? ''}`,
    TSEZ_CONFIG: configFile,
    TSEZ_FAKE_HOST: path.join(root, 'fake-host'),
    NODE_ENV: 'development',
  }
  const envText = Object.entries(exports).map(([key, value]) => `export ${key}=${sh(value)}\n`)
  await writeFile(envFile, envText.join(''))
  say(`\nsandbox host in ${root}: jails under ${hostDirs(path.join(root, 'host')).jaildir}`)
  say(`mirror ${server.url} serves ${RELEASES.join(' and ')} (tsez_mirror in ${configFile})`)
  say(`\nin another shell:\n  . ${envFile}\n  tsez install -r ${RELEASES[0]}\n  tsez create web1 10.0.0.5`)
  say(`  tsez start web1 && tsez list\n  tsez update -U -r ${RELEASES[1]}`)
  say(`\nserving until Ctrl-C; run npm run sandbox again to serve the same host; rm -rf ${root} to start over`)
  await new Promise<void>((resolve) => process.once('SIGINT', resolve).once('SIGTERM', resolve))
  await server.close()
}

/** VALUE as one sh word. */
function sh(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`
}

function say(line: string): void {
  process.stdout.write(`${line}\n`)
}

await main()
