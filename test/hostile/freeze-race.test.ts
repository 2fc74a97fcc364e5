// A jail's owner racing tsez freeze of the running jail: directories swapped for symlinks to the host, to FIFOs.
import assert from 'node:assert/strict'
import {readFile, readdir, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {spawnTsez, tsezOk} from '../support/cli.js'
import {makeBait, regularFiles, swapLoop, underAttack} from '../support/swap-loop.js'
import {createInstalledHost, type InstalledHost} from '../support/installed-host.js'

const isRoot = process.getuid?.() === 0
const ATTEMPTS = 6

describe('hostile: a jail owner races tsez freeze of the running jail', function () {
  let host: InstalledHost
  before(async function () {
    if (!isRoot) this.skip()
    this.timeout(120_000)
    host = await createInstalledHost()
  })
  after(async () => host?.cleanup())

  // Host files: /mnt holds files the newjail does not have, which freeze copies. FIFOs: /media holds the newjail's
  // own files unchanged, which freeze opens to compare with the newjail's (a FIFO opened there would block).
  for (const kind of ['a host directory', 'a directory of FIFOs'] as const) {
    it(`a directory swapped for a symlink to ${kind}: no host file in a flavour, no freeze hangs`, async function () {
      this.timeout(300_000)
      const [name, dir] = kind === 'a host directory' ? ['racehost', 'mnt'] : ['racefifo', 'media']
      // Each file opened is one chance for the swap to land between its lstat and its open: many files
      const FILES = dir === 'mnt' ? 200 : 1000
      if (dir === 'media') {
        for (let i = 0; i < FILES; i++) await writeFile(path.join(host.dirs.newjail, dir, `f${i}`), `stock ${i}\n`)
      }
      await tsezOk(['create', name, kind === 'a host directory' ? '10.0.52.1' : '10.0.52.2'], host.env)
      const root = path.join(host.dirs.jaildir, name)
      if (dir === 'mnt') for (let i = 0; i < FILES; i++) await writeFile(path.join(root, dir, `f${i}`), `jail ${i}\n`)
      const secret = await makeBait(host.root, root, name, FILES)
      const attacker = swapLoop(root, dir, kind === 'a host directory' ? secret : 'fifos')
      const results = await underAttack(attacker, ATTEMPTS, (attempt) =>
        spawnTsez(['freeze', name, `${name}${attempt}`], host.env),
      )
      const outcomes = results.map((result) => result.exitCode)
      const flavours = (await readdir(host.dirs.flavours)).filter((flavour) => flavour.startsWith(name))
      assert.equal(
        flavours.length,
        outcomes.filter((code) => code === 0).length,
        'a flavour for each freeze that succeeded',
      )
      for (const flavour of flavours) {
        for (const file of await regularFiles(path.join(host.dirs.flavours, flavour))) {
          assert.doesNotMatch(await readFile(file, 'utf8'), /HOST SECRET/, `${file} holds a host file`)
        }
      }
    })
  }
})
