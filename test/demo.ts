// `npm run demo`: the main job end to end on any machine — a generated FreeBSD release served over HTTP, fake
// kernel-facing programs, everything in a temp dir — printing each tsez command and what it did.
import {spawn} from 'node:child_process'
import {mkdtemp, readFile, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {createFakeHost} from './fixtures/fake-host.js'
import {serveDirectory} from './fixtures/http-server.js'
import {generateRelease} from './fixtures/release.js'
import {packageRoot} from './support/cli.js'
import {writeHostConfig} from './support/test-host.js'
import {removeTree} from './support/tree.js'

const RELEASE = '14.3-RELEASE'

async function main(): Promise<void> {
  const root = await mkdtemp(path.join(tmpdir(), 'tsez-demo-'))
  const fake = await createFakeHost()
  say(`Demo host in ${root} (fake FreeBSD programs from ${fake.binDir})`)
  say(`Generating a miniature ${RELEASE} release (base.txz, lib32.txz, src.txz, MANIFEST)...`)
  const mirror = path.join(root, 'mirror')
  const release = await generateRelease(path.join(mirror, 'releases/amd64/amd64', RELEASE), {version: RELEASE})
  for (const set of Object.values(release.sets))
    say(`  ${set.file}: ${set.entries} entries, sha256 ${set.sha256.slice(0, 16)}…`)
  const server = await serveDirectory(mirror)
  const host = path.join(root, 'host')
  const config = path.join(root, 'tsez.conf')
  await writeHostConfig(config, host)
  const env = {...fake.env, TSEZ_CONFIG: config}
  try {
    await tsez(env, 'install', '-r', RELEASE, '-a', 'amd64/amd64', '-h', server.url)
    await tsez(env, 'create', '-f', 'webserver', 'web1', '10.0.0.5')
    say(`--- ${host}/etc/jail.conf.d/web1.conf`)
    say(await readFile(path.join(host, 'etc/jail.conf.d/web1.conf'), 'utf8'))
    await tsez(env, 'start', 'web1')
    await tsez(env, 'list')
    say('The fake freebsd-update now has a patch to 14.3-RELEASE-p5 for the basejail.')
    fake.set('freebsd-update.patch', '14.3-RELEASE-p5')
    await tsez(env, 'update', '-u')
    await tsez(env, 'list')
    say('Programs tsez ran on the (fake) host:')
    for (const call of fake.calls()) say(`  ${call.join(' ')}`)
  } finally {
    await server.close()
    await fake.cleanup()
    await removeTree(root)
    await rm(root, {recursive: true, force: true})
  }
}

function say(line: string): void {
  process.stdout.write(`${line}\n`)
}

/**
 * Runs `tsez ARGS` as a real process from the sources (or the installed program $TSEZ_DEMO_PROGRAM names, as the
 * port test does), echoing the command and its output.
 */
async function tsez(env: NodeJS.ProcessEnv, ...args: string[]): Promise<void> {
  say(`\n$ tsez ${args.join(' ')}`)
  const installed = process.env.TSEZ_DEMO_PROGRAM
  const [program = '', ...argv] = installed
    ? [installed, ...args]
    : [process.execPath, '--import', 'tsx', path.join(packageRoot, 'bin/dev.js'), ...args]
  const child = spawn(program, argv, {env, stdio: 'inherit'})
  const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? 1)))
  if (code !== 0) throw new Error(`tsez ${args.join(' ')} exited ${code}`)
}

await main()
