import assert from 'node:assert/strict'
import {mkdtemp, mkdir, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {
  fetchAndInstall,
  installUntilDone,
  freebsdUpdateCall,
  freebsdUpdatePaths,
  readUserlandVersion,
  renderFreebsdUpdateConf,
} from '../../src/base/freebsd-update.js'
import type {CommandRunner, RunResult} from '../../src/system/runner.js'

/** A runner that answers freebsd-update with scripted exit codes and records every call. */
function scriptedRunner(exitCodes: number[]) {
  const calls: Array<{file: string; args: readonly string[]; env?: Record<string, string>}> = []
  const tryRun = (
    file: string,
    args: readonly string[],
    options?: {env?: Record<string, string>},
  ): Promise<RunResult> => {
    calls.push({file, args, env: options?.env})
    const exitCode = exitCodes.shift() ?? 99
    return Promise.resolve({exitCode, stdout: '', stderr: exitCode === 1 ? 'freebsd-update: fetch failed\n' : ''})
  }
  const runner = {tryRun, run: tryRun, stream: () => assert.fail('no streaming')} as unknown as CommandRunner
  return {runner, calls}
}

describe('base/freebsd-update', () => {
  const paths = freebsdUpdatePaths('/var/db/tsez')

  it('uses the exact argv and PAGER=cat', () => {
    assert.deepEqual(freebsdUpdateCall('/usr/jails/basejail', paths, '14.3-RELEASE-p2', ['fetch']), {
      argv: [
        '-b',
        '/usr/jails/basejail',
        '-d',
        '/var/db/tsez/freebsd-update',
        '-f',
        '/var/db/tsez/freebsd-update.conf',
        '--currently-running',
        '14.3-RELEASE-p2',
        '--not-running-from-cron',
        'fetch',
      ],
      env: {PAGER: 'cat'},
    })
  })

  it('writes its own conf: world (+src), strict components, no boot environments, no kernel backup', () => {
    const conf = renderFreebsdUpdateConf({src: false, workdir: paths.workdir})
    assert.match(conf, /^Components world$/m)
    assert.match(conf, /^StrictComponents yes$/m)
    assert.match(conf, /^CreateBootEnv no$/m)
    assert.match(conf, /^BackupKernel no$/m)
    assert.match(conf, /^WorkDir \/var\/db\/tsez\/freebsd-update$/m)
    assert.match(renderFreebsdUpdateConf({src: true, workdir: 'w'}), /^Components world src$/m)
  })

  it('repeats install until it exits 2', async () => {
    const {runner, calls} = scriptedRunner([0, 0, 0, 0, 2])
    const result = await fetchAndInstall(runner, {}, '/b', paths, '14.3-RELEASE', ['fetch'])
    assert.equal(result.installRounds, 3)
    assert.deepEqual(
      calls.map((c) => c.args.at(-1)),
      ['fetch', 'install', 'install', 'install', 'install'],
    )
    assert.ok(calls.every((c) => c.file === 'freebsd-update' && c.env?.PAGER === 'cat'))
  })

  it('exit 1 from fetch or install is a failure with its output', async () => {
    await assert.rejects(
      fetchAndInstall(scriptedRunner([1]).runner, {}, '/b', paths, 'v', ['fetch']),
      /freebsd-update fetch failed \(exit 1\): freebsd-update: fetch failed/,
    )
    await assert.rejects(
      fetchAndInstall(scriptedRunner([0, 0, 1]).runner, {}, '/b', paths, 'v', ['fetch']),
      /freebsd-update install failed \(exit 1\)/,
    )
  })

  it('reads USERLAND_VERSION from bin/freebsd-version without running it', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'tsez-fv-'))
    try {
      await mkdir(path.join(root, 'bin'))
      await writeFile(path.join(root, 'bin/freebsd-version'), '#!/bin/sh\nUSERLAND_VERSION="14.3-RELEASE-p4"\n')
      assert.equal(await readUserlandVersion(root), '14.3-RELEASE-p4')
      await writeFile(path.join(root, 'bin/freebsd-version'), '#!/bin/sh\necho hi\n')
      await assert.rejects(readUserlandVersion(root), /has no USERLAND_VERSION line/)
    } finally {
      await rm(root, {recursive: true, force: true})
    }
  })

  it('installUntilDone: rounds until exit 2, the failed round with its result, and a bound of 10 rounds', async () => {
    const result = (exitCode: number) => Promise.resolve<RunResult>({exitCode, stdout: '', stderr: ''})
    const codes = [0, 0, 2]
    assert.equal(
      await installUntilDone(
        async (round) => result(codes[round - 1]!),
        () => new Error('no'),
      ),
      2,
    )
    const failed = await installUntilDone(
      (round) => result(round === 2 ? 1 : 0),
      (round, reason) => new Error(`${round} ${typeof reason === 'string' ? reason : reason.exitCode}`),
    ).catch((error: Error) => error.message)
    assert.equal(failed, '2 1')
    let runs = 0
    const overrun = await installUntilDone(
      () => (runs++, result(0)),
      (round, reason) => new Error(`${round} ${typeof reason === 'string' ? reason : reason.exitCode}`),
    ).catch((error: Error) => error.message)
    assert.deepEqual([runs, overrun], [10, '10 freebsd-update install did not finish after 10 rounds'])
  })
})
