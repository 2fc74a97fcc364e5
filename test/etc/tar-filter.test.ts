// The tar filter keeps exactly what etcupdate's stock tree keeps, with pax and GNU long-name headers intact.
import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {mkdir, mkdtemp, readFile, rm, writeFile, link} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {Readable} from 'node:stream'

import {extractTar} from '../../src/dist/extract.js'
import {keptByEtcupdate, tarEntryFilter} from '../../src/etc/tar-filter.js'

describe('etc/tar-filter', () => {
  describe('keptByEtcupdate', () => {
    it('keeps ./etc, ./var, ./root and top-level dot files, nothing else', () => {
      const kept = ['./', '.', 'etc', './etc/', './etc/rc.conf', 'var/db/x', './root/.cshrc', './.profile', '.cshrc']
      const dropped = ['./bin/sh', 'usr/share/x', './etcx/a', './lib/.hidden', './boot/kernel', 'variable']
      for (const entry of kept) assert.equal(keptByEtcupdate(entry), true, entry)
      for (const entry of dropped) assert.equal(keptByEtcupdate(entry), false, entry)
    })
  })

  describe('tarEntryFilter', () => {
    let dir: string
    beforeEach(async () => (dir = await mkdtemp(path.join(tmpdir(), 'tsez-tar-filter-'))))
    afterEach(async () => rm(dir, {recursive: true, force: true}))

    for (const format of ['pax', 'gnu'] as const) {
      it(`passes the kept entries of a ${format} archive, long names and hard links included`, async () => {
        const tree = path.join(dir, 'tree')
        const long = `etc/${'d'.repeat(90)}/${'f'.repeat(90)}.conf`
        for (const sub of ['etc/ssh', 'bin', path.dirname(long), 'var/db', 'root', 'usr/share']) {
          await mkdir(path.join(tree, sub), {recursive: true})
        }
        await writeFile(path.join(tree, 'etc/ssh/sshd_config'), 'Port 22\n')
        await writeFile(path.join(tree, long), 'long\n')
        await writeFile(path.join(tree, 'bin/sh'), Buffer.alloc(3000, 1))
        await writeFile(path.join(tree, `usr/share/${'x'.repeat(120)}`), 'dropped long name\n')
        await writeFile(path.join(tree, '.cshrc'), 'set prompt\n')
        await link(path.join(tree, '.cshrc'), path.join(tree, 'root/.cshrc'))
        const archive = path.join(dir, 'set.tar')
        const tar = format === 'pax' ? ['--format=pax'] : ['--format=gnu']
        execFileSync('tar', ['-cf', archive, ...tar, '-C', tree, '.'])
        const out = path.join(dir, 'out')
        await mkdir(out)
        const filter = tarEntryFilter()
        Readable.from([await readFile(archive)]).pipe(filter)
        await extractTar(filter, out)
        const listing = execFileSync('find', ['.', '-mindepth', '1'], {cwd: out, encoding: 'utf8'})
          .split('\n')
          .filter(Boolean)
          .sort()
        assert.deepEqual(
          listing,
          [
            './.cshrc',
            './etc',
            `./etc/${'d'.repeat(90)}`,
            `./${long}`,
            './etc/ssh',
            './etc/ssh/sshd_config',
            './root',
            './root/.cshrc',
            './var',
            './var/db',
          ].sort(),
        )
        assert.equal(await readFile(path.join(out, long), 'utf8'), 'long\n')
        assert.equal(await readFile(path.join(out, 'root/.cshrc'), 'utf8'), 'set prompt\n')
      })
    }

    it('fails on a truncated archive instead of passing half an entry', async () => {
      const filter = tarEntryFilter()
      const header = Buffer.alloc(512)
      header.write('etc/rc.conf', 0)
      header.write('00000001000\0', 124) // 512 bytes of data announced, none given
      header.write('0', 156)
      const ended = new Promise((resolve, reject) => filter.on('error', reject).on('end', resolve))
      filter.resume()
      filter.end(header)
      await assert.rejects(ended, /truncated or damaged/)
    })
  })
})
