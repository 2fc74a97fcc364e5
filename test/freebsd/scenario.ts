// The real-host suite's steps and what each asserts, run on FreeBSD (real-host.suite.ts) and against the fakes on
// Linux (test/ship/freebsd-suite.test.ts), so the fakes answer as the real programs do where the suite looks.
import assert from 'node:assert/strict'
import {readdir} from 'node:fs/promises'

import type {CliResult} from '../support/cli.js'

export interface ScenarioHost {
  /** Runs tsez ARGS on this host. */
  tsez(args: string[]): Promise<CliResult>
  /** The mount points mount -p lists now. */
  mountPoints(): Promise<string[]>
  /** `tsez install` and its flags for this host (release, arch, mirror). */
  installArgs: string[]
  /** tsez_jaildir: nothing may stay mounted under it. */
  jaildir: string
  /** Where the archive step writes. */
  archives: string
  /** Two free addresses ([iface|]address) for web1 and its restored copy. */
  addresses: [string, string]
}

interface ListedJail {
  name: string
  state: string
  release?: string
}

/** freebsd-version -u: 14.3-RELEASE, 15.1-RELEASE-p2, 15.0-STABLE... */
export const USERLAND = /^\d+\.\d+-(RELEASE|STABLE|CURRENT|BETA\d*|RC\d*|PRERELEASE)(-p\d+)?$/

/** The steps in order: [what, run and check]. Each needs the ones before it. */
export function scenarioSteps(host: ScenarioHost): Array<[string, () => Promise<void>]> {
  const ok = async (...args: string[]) => {
    const result = await host.tsez(args)
    assert.equal(result.exitCode, 0, `tsez ${args.join(' ')}: ${result.stderr}`)
    return result
  }
  const jails = async () => (JSON.parse((await ok('list', '--json')).stdout) as {jails: ListedJail[]}).jails
  const state = async (name: string) => (await jails()).find((jail) => jail.name === name)?.state
  return [
    ['install builds the basejail and newjail', async () => void (await ok(...host.installArgs))],
    ['create -f webserver web1', async () => void (await ok('create', '-f', 'webserver', 'web1', host.addresses[0]))],
    [
      'start web1 runs a jail',
      async () => {
        await ok('start', 'web1')
        assert.equal(await state('web1'), 'running')
      },
    ],
    [
      "console -e 'freebsd-version -u' runs in the jail",
      async () => {
        // --json captures the command's output into the result (without it the terminal is passed through).
        const {stdout} = await ok('console', '--json', '-e', 'freebsd-version -u', 'web1')
        const result = JSON.parse(stdout) as {exitCode: number; stdout: string}
        assert.equal(result.exitCode, 0)
        assert.match(result.stdout.trim(), USERLAND)
      },
    ],
    [
      'list --json shows web1 running on the basejail release',
      async () => {
        const [web1] = (await jails()).filter((jail) => jail.name === 'web1')
        assert.equal(web1?.state, 'running')
        assert.match(web1?.release ?? '', USERLAND)
      },
    ],
    ['update -u patches the basejail', async () => void (await ok('update', '-u'))],
    [
      'archive web1, restore it as web2',
      async () => {
        await ok('archive', '-f', '-d', host.archives, 'web1')
        const [archive] = (await readdir(host.archives)).filter((file) => file.endsWith('.tsez.tar.xz'))
        assert.ok(archive, 'an archive under its final name')
        await ok('restore', '--name', 'web2', '--ip', host.addresses[1], `${host.archives}/${archive}`)
        assert.equal(await state('web2'), 'stopped')
      },
    ],
    [
      'stop web1',
      async () => {
        await ok('stop', 'web1')
        assert.equal(await state('web1'), 'stopped')
      },
    ],
    [
      'delete -w removes both jails',
      async () => {
        for (const name of ['web1', 'web2']) await ok('delete', '-w', '--force', name)
        assert.deepEqual(await jails(), [])
      },
    ],
    [
      'nothing is left mounted under the jail directory',
      async () => {
        const under = (await host.mountPoints()).filter((point) => `${point}/`.startsWith(`${host.jaildir}/`))
        assert.deepEqual(under, [])
      },
    ],
  ]
}
