// bootstrapJailEtc: the stock /etc of the jail's release, built once from the verified base set, then extract.
import assert from 'node:assert/strict'
import {mkdtemp, rm, stat} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {bootstrapJailEtc} from '../../src/etc/bootstrap.js'
import {generateRelease} from '../fixtures/release.js'
import {quietDeps} from '../support/deps.js'
import {createUpdateSandbox, type UpdateSandbox} from '../support/update-jails.js'

describe('etc/bootstrap', () => {
  let box: UpdateSandbox
  let release: string
  afterEach(async () => {
    await box?.cleanup()
    await rm(release, {recursive: true, force: true})
  })

  it('runs etcupdate extract -D ROOT -t etc-RELEASE.tbz, building the tarball only once', async () => {
    release = await mkdtemp(path.join(tmpdir(), 'tsez-bootstrap-release-'))
    await generateRelease(release, {version: '14.3-RELEASE', lib32: false, src: false})
    box = await createUpdateSandbox({mirror: `file://${release}/`})
    const [first, second] = await box.seedJails(2)
    const saved = {...process.env}
    Object.assign(process.env, box.env)
    try {
      const deps = quietDeps({env: process.env})
      const tarball = path.join(box.config.dbdir, 'etcupdate/etc-14.3-RELEASE.tbz')
      assert.deepEqual(await bootstrapJailEtc(box.config, first!, deps), {tarball})
      const built = (await stat(tarball)).mtimeMs
      assert.deepEqual(await bootstrapJailEtc(box.config, second!, deps), {tarball})
      assert.equal((await stat(tarball)).mtimeMs, built, 'reused, not rebuilt')
      assert.deepEqual(box.host.calls('etcupdate'), [
        ['etcupdate', 'extract', '-D', first!.root, '-t', tarball],
        ['etcupdate', 'extract', '-D', second!.root, '-t', tarball],
      ])
      await stat(path.join(first!.root, 'var/db/etcupdate/current'))
    } finally {
      for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key]
      Object.assign(process.env, saved)
    }
  })
})
