// A jail's owner racing tsez archive of the running jail: directories swapped for symlinks to the host, to FIFOs.
import assert from 'node:assert/strict'
import {readFile, readdir, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {spawnTsez, tsezOk} from '../support/cli.js'
import {createInstalledHost, type InstalledHost} from '../support/installed-host.js'
import {makeBait, swapLoop, underAttack} from '../support/swap-loop.js'

const isRoot = process.getuid?.() === 0
const ATTEMPTS = 4

describe('hostile: a jail owner races tsez archive -f of the running jail', function () {
  let host: InstalledHost
  before(async function () {
    if (!isRoot) this.skip()
    this.timeout(120_000)
    host = await createInstalledHost()
  })
  after(async () => host?.cleanup())

  for (const kind of ['a host directory', 'a directory of FIFOs'] as const) {
    it(`/mnt swapped for a symlink to ${kind}: no host byte in an archive, no archive hangs`, async function () {
      this.timeout(300_000)
      const name = kind === 'a host directory' ? 'arhost' : 'arfifo'
      // Each file opened is one chance for the swap to land between its lstat and its open: many files
      const files = kind === 'a host directory' ? 200 : 1000
      await tsezOk(['create', name, kind === 'a host directory' ? '10.0.53.1' : '10.0.53.2'], host.env)
      const root = path.join(host.dirs.jaildir, name)
      for (let i = 0; i < files; i++) await writeFile(path.join(root, 'mnt', `f${i}`), `jail ${i}\n`)
      const secret = await makeBait(host.root, root, name, files)
      const out = path.join(host.root, `out-${name}`)
      const attacker = swapLoop(root, 'mnt', kind === 'a host directory' ? secret : 'fifos')
      const results = await underAttack(attacker, ATTEMPTS, async (attempt) => {
        if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 1100)) // one archive name per second
        return spawnTsez(['archive', '-f', '-c', 'none', '-d', out, name], host.env)
      })
      for (const result of results.filter(({exitCode}) => exitCode === 1)) {
        assert.match(result.stderr, /changed while (it was archived|tsez was walking it)/)
      }
      const outcomes = results.map((result) => result.exitCode)
      const archives = (await readdir(out).catch(() => [] as string[])).filter((file) => file.endsWith('.tsez.tar'))
      assert.equal(archives.length, outcomes.filter((code) => code === 0).length, 'an archive for each success')
      for (const file of archives) {
        assert.equal((await readFile(path.join(out, file))).includes('HOST SECRET'), false, `${file} holds host bytes`)
      }
    })
  }
})
