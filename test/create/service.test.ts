// createJail against an installed fake host: a full file system fails cleanly, an existing jail is refused.
import assert from 'node:assert/strict'
import {copyFileSync} from 'node:fs'
import path from 'node:path'

import {createJail, type CreateOptions} from '../../src/create/service.js'
import {quietDeps} from '../support/deps.js'
import {createInstalledHost, type InstalledHost} from '../support/installed-host.js'
import {recordingRunner} from '../support/recording-runner.js'
import {diffTrees, snapshotTree} from '../support/tree.js'

const isRoot = process.getuid?.() === 0

describe('create/service', () => {
  let host: InstalledHost
  beforeEach(async function () {
    if (!isRoot) this.skip()
    host = await createInstalledHost()
  })
  afterEach(async () => host?.cleanup())

  const options = (extra: Partial<CreateOptions> = {}): CreateOptions => ({
    name: 'web1',
    ipList: '10.0.0.5',
    flavours: ['webserver'],
    existingRoot: false,
    norun: false,
    dryRun: false,
    lockWaitMs: 1000,
    ...extra,
  })

  /** Regular files the newjail copy makes with copyFile (one per inode); the flavour's come after them. */
  const newjailCopies = async () => {
    const snapshot = await snapshotTree(host.dirs.newjail)
    return new Set([...snapshot].filter(([, e]) => e.type === 'file').map(([rel, e]) => e.linkGroup ?? rel)).size
  }

  for (const [label, failAt] of [
    ['at the first file', () => Promise.resolve(1)],
    ['in the middle of the newjail', () => Promise.resolve(25)],
    ['while the flavour is laid over', async () => (await newjailCopies()) + 2],
  ] as const) {
    it(`leaves no trace when the disk fills ${label}`, async () => {
      const failAtCopy = await failAt()
      const before = await snapshotTree(path.join(host.root, 'host'))
      const {runner, calls} = recordingRunner()
      let copies = 0
      const full = {
        copyFile: (from: string, to: string, mode: number) => {
          if (++copies === failAtCopy)
            throw Object.assign(new Error('ENOSPC: no space left on device, copyfile'), {code: 'ENOSPC'})
          copyFileSync(from, to, mode)
        },
      }
      await assert.rejects(createJail(host.config, options(), quietDeps({run: runner, fs: full})), (error: Error) => {
        assert.match(error.message, /creating jail web1 failed, nothing of it was kept: .*ENOSPC/)
        return true
      })
      const changed = ['usr/jails', 'var/db/tsez']
      assert.deepEqual(
        diffTrees(before, await snapshotTree(path.join(host.root, 'host')), {ignoreMtimeOf: changed}),
        [],
      )
      // The staging copy went through removeOwnTree: schg and friends cleared first.
      assert.equal(calls[0]?.file, 'chflags')
      assert.match(calls[0]?.args.at(-1) ?? '', /usr\/jails\/\.tsez-create-web1\.[0-9a-f]{8}$/)
    })
  }

  it('plans again under the lock and refuses what appeared meanwhile', async () => {
    const {runner} = recordingRunner()
    await createJail(host.config, options(), quietDeps({run: runner}))
    await assert.rejects(
      createJail(host.config, options(), quietDeps({run: runner})),
      /a jail named "web1" already exists/,
    )
  })
})
