import assert from 'node:assert/strict'
import {mkdir, symlink} from 'node:fs/promises'
import path from 'node:path'

import {tsez} from '../support/cli.js'
import {createInstalledHost, type InstalledHost} from '../support/installed-host.js'
import {diffTrees, snapshotTree} from '../support/tree.js'

const isRoot = process.getuid?.() === 0

// A jail root inside (or around) another tree tsez manages: `delete -w` of the outer one would destroy the inner.
describe('hostile: nested and overlapping jail roots', () => {
  let host: InstalledHost
  before(async function () {
    if (!isRoot) this.skip() // a created jail has root-owned files
    host = await createInstalledHost()
    for (const args of [
      ['create', 'web1', '10.0.0.5'],
      ['create', '-r', 'deep/a/b', 'deep1', '10.0.0.6'],
    ]) {
      const created = await tsez(args, host.env)
      assert.equal(created.exitCode, 0, created.stderr)
    }
    const {jaildir, basejail} = host.dirs
    await mkdir(path.join(host.root, 'outside'))
    await symlink('web1', path.join(jaildir, 'alias')) // relative link to a jail's root
    await symlink(basejail, path.join(jaildir, 'base-link'))
    await symlink(path.join(host.root, 'outside'), path.join(jaildir, 'out'))
    await symlink(path.join(host.root, 'outside/missing'), path.join(jaildir, 'dangling')) // followed though dangling
  })
  after(async () => host?.cleanup())

  const cases: Array<[string, () => string[], RegExp]> = [
    ['-r inside another jail', () => ['-r', 'web1/home/inner'], /inside jail web1's root/],
    ['-r inside another jail, absolute', () => ['-r', path.join(host.dirs.jaildir, 'web1/x')], /inside jail web1's/],
    ['-x -r equal to another jail', () => ['-x', '-r', 'web1'], /is jail web1's root/],
    ['-x -r around another jail', () => ['-x', '-r', 'deep'], /contains jail deep1's root/],
    ['-x -r the host root', () => ['-x', '-r', '/'], /is the host's \//],
    ['-x -r the jail directory', () => ['-x', '-r', host.dirs.jaildir], /is or contains the jail directory/],
    ['-r above the jail directory', () => ['-r', path.dirname(host.dirs.jaildir)], /contains .*jail directory/],
    ['-r ../.. out of the jail directory', () => ['-r', '../../x'], /leaves tsez_jaildir/],
    ['-r inside the basejail', () => ['-r', 'basejail/x'], /overlaps tsez's own .*basejail/],
    ['-x -r the newjail', () => ['-x', '-r', 'newjail'], /overlaps tsez's own .*newjail/],
    ['-x -r the flavours', () => ['-x', '-r', 'flavours/webserver'], /overlaps tsez's own .*flavours/],
    ['-r through a symlink into a jail', () => ['-r', 'alias/inner'], /resolves to .*web1\/inner.*inside jail web1/],
    ['-r through a symlink into the basejail', () => ['-r', 'base-link/x'], /overlaps tsez's own .*basejail/],
    ['-r through a symlink out of jaildir', () => ['-r', 'out/x'], /resolves to .*outside\/x.*leaves tsez_jaildir/],
    [
      '-r through a dangling symlink',
      () => ['-r', 'dangling/x'],
      /resolves to .*outside\/missing\/x.*leaves tsez_jaildir/,
    ],
  ]
  for (const [index, [title, args, rule]] of cases.entries()) {
    it(`refuses ${title}: exit 2, every problem on one line, nothing changed`, async () => {
      const before = await snapshotTree(path.join(host.root, 'host'))
      const result = await tsez(['create', ...args(), `inner${index}`, `10.0.3.${index + 1}`], host.env)
      assert.equal(result.exitCode, 2, result.stderr)
      assert.match(result.stderr, rule)
      assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr)
      assert.deepEqual(diffTrees(before, await snapshotTree(path.join(host.root, 'host'))), [])
    })
  }

  it('still takes a root beside the others, relative or absolute, and -x of a directory of its own', async () => {
    await mkdir(path.join(host.dirs.jaildir, 'kept/root'), {recursive: true})
    for (const args of [
      ['create', '-r', 'deep/c', 'beside', '10.0.0.10'],
      ['create', '-r', path.join(host.dirs.jaildir, 'abs/x'), 'absolute', '10.0.0.11'],
      ['create', '-x', '-r', 'kept/root', 'kept', '10.0.0.12'],
    ]) {
      const created = await tsez(args, host.env)
      assert.equal(created.exitCode, 0, `${args.join(' ')}: ${created.stderr}`)
    }
  })
})
