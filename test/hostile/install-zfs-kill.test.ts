// install --force on ZFS killed with SIGKILL after each zfs change of its swap: doctor --fix (then install) leaves
// the previous install or the new one whole, never a mix, and never loses the newjail a jail was cloned from.
import assert from 'node:assert/strict'
import {appendFile, lstat, readFile} from 'node:fs/promises'
import path from 'node:path'

import {spawnTsez, tsez} from '../support/cli.js'
import {createTestHost, installArgs} from '../support/test-host.js'

const PARENT = 'zroot/tsez'

describe('hostile: install --force on ZFS killed after each zfs change', function () {
  // The swap of a reinstall: create x2, then per part set, rename, rename, set, then the commit, then the old
  // newjail (cloned from) is unmounted and renamed aside and the old basejail destroyed.
  for (const killAfter of [1, 2, 3, 4, 5, 6, 8, 10, 11, 12]) {
    it(`killed after zfs change ${killAfter}: doctor --fix puts one whole install back`, async function () {
      const host = await createTestHost()
      try {
        await appendFile(host.configFile, `tsez_use_zfs="YES"\ntsez_zfs_parent="${PARENT}"\n`)
        host.fake.set('zfs.datasets', `zroot\t-\n${PARENT}\t-\n`)
        const install = (...extra: string[]) => tsez(installArgs(host, '--no-patch', ...extra), host.env)
        assert.equal((await install()).exitCode, 0)
        assert.equal((await tsez(['create', 'web1', '10.0.0.1'], host.env)).exitCode, 0)
        const record = path.join(host.dirs.dbdir, 'release.json')
        const before = await readFile(record, 'utf8')
        host.fake.set('zfs.kill-parent-after', String(killAfter))
        host.fake.set('zfs.changes', '0')
        // A process of its own: the fake zfs kills its caller.
        const killed = await spawnTsez(installArgs(host, '--no-patch', '--force'), host.env).done
        assert.notEqual(killed.exitCode, 0, 'the install was killed')
        host.fake.unset('zfs.kill-parent-after')
        await tsez(['doctor', '--fix'], host.env)

        const datasets = (host.fake.read('zfs.datasets') ?? '').split('\n').filter(Boolean)
        const names = datasets.map((line) => line.split('\t')[0] ?? '')
        assert.deepEqual(
          names.filter((name) => name.includes('.tsez-')),
          [],
          'no staging or old dataset is left',
        )
        const live = (part: string) => datasets.find((line) => line.startsWith(`${PARENT}/${part}\t`))?.split('\t')[1]
        assert.equal(live('basejail'), host.dirs.basejail)
        assert.equal(live('newjail'), host.dirs.newjail)
        assert.match(await readFile(path.join(host.dirs.basejail, 'bin/freebsd-version'), 'utf8'), /14\.3-RELEASE/)
        assert.ok((await lstat(path.join(host.dirs.newjail, 'bin'))).isSymbolicLink())
        const origin = datasets.find((line) => line.startsWith(`${PARENT}/web1\t`))?.split('\t')[2] ?? ''
        assert.ok((host.fake.read('zfs.snapshots') ?? '').includes(`${origin}\t`), "web1's origin snapshot is kept")
        assert.equal(await lstat(path.join(host.dirs.jaildir, '.tsez-staging')).catch(() => undefined), undefined)
        const after = await readFile(record, 'utf8')
        if (after === before) assert.ok(names.includes(`${PARENT}/newjail`) && origin.startsWith(`${PARENT}/newjail@`))
        else
          assert.match(
            origin,
            /^zroot\/tsez\/newjail-\d{8}T\d{6}Z@/,
            'a committed install kept the cloned newjail aside',
          )
        assert.equal((await install('--force')).exitCode, 0, 'the next install runs through')
      } finally {
        await host.cleanup()
      }
    })
  }
})
