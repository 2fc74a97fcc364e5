import assert from 'node:assert/strict'
import {mkdir, mkdtemp, rm, symlink, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {FIRSTBOOT_DIR} from '../../src/jail/store.js'
import {pendingFirstbootScripts} from '../../src/run/firstboot.js'

describe('run/firstboot', () => {
  let root: string
  beforeEach(async () => (root = await mkdtemp(path.join(tmpdir(), 'tsez-firstboot-'))))
  afterEach(() => rm(root, {recursive: true, force: true}))

  it('lists regular files in name order, ignoring dot files, directories and symlinks', async () => {
    const dir = path.join(root, FIRSTBOOT_DIR)
    await mkdir(path.join(dir, '15-dir'), {recursive: true})
    await writeFile(path.join(dir, '20-b'), '')
    await writeFile(path.join(dir, '10-a'), '')
    await writeFile(path.join(dir, '.hidden'), '')
    await symlink('/etc/passwd', path.join(dir, '30-link'))
    assert.deepEqual(await pendingFirstbootScripts(root), ['10-a', '20-b'])
  })

  it('finds nothing when no directory exists, or when one on the way is a symlink the jail could have planted', async () => {
    assert.deepEqual(await pendingFirstbootScripts(root), [])
    const elsewhere = path.join(root, 'elsewhere')
    await mkdir(path.join(elsewhere, 'tsez', 'firstboot'), {recursive: true})
    await writeFile(path.join(elsewhere, 'tsez', 'firstboot', '10-x'), '')
    await mkdir(path.join(root, 'var'))
    await symlink(elsewhere, path.join(root, 'var', 'db'))
    assert.deepEqual(await pendingFirstbootScripts(root), [])
  })
})
