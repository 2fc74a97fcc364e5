// The archive file: its checksum read through one buffer, and the decompressor reading the very file that was summed.
import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {mkdir, mkdtemp, rename, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {UsageError} from '../../src/errors.js'
import {openArchive, tarStreamOf, verifyChecksum, type OpenedArchive} from '../../src/restore/archive-file.js'
import {createRunner} from '../../src/system/runner.js'
import {recordingRunner} from '../support/recording-runner.js'
import {tarOf, writeArchive, xz} from '../hostile/archives.js'

/** The tar bytes tarStreamOf gives for ARCHIVE, read to the end. */
async function tarBytes(archive: OpenedArchive): Promise<Buffer> {
  const tar = tarStreamOf(archive, createRunner())
  const chunks: Buffer[] = []
  for await (const chunk of tar.chunks) chunks.push(chunk)
  await tar.done
  return Buffer.concat(chunks)
}

describe('restore/archive-file', function () {
  this.timeout(30_000)
  let dir: string
  // Larger than two of the checksum's 1 MiB buffers (each is read into again), and not a multiple of them.
  const tar = tarOf([{path: 'root/big', body: randomBytes(2 * 1024 * 1024 + 777).toString('base64')}])
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'tsez-archive-file-'))
  })
  afterEach(async () => {
    await rm(dir, {recursive: true, force: true})
  })

  it('sums the whole file across its buffer reads, and refuses a sum that differs', async () => {
    const bytes = xz(tar)
    const good = await openArchive(writeArchive(dir, 'good.tsez.tar.xz', bytes))
    const bad = await openArchive(writeArchive(dir, 'bad.tsez.tar.xz', bytes, 'ab'.repeat(32)))
    try {
      assert.ok(bytes.length > 2 * 1024 * 1024, 'the compressed archive spans more than two reads')
      await verifyChecksum(good)
      await assert.rejects(
        verifyChecksum(bad),
        (error) => error instanceof UsageError && /checksum mismatch/.test(error.message),
      )
    } finally {
      await good.handle.close()
      await bad.handle.close()
    }
  })

  it('refuses a .sha256 that is a FIFO (never waits on it), a directory, too large, or missing: exit 2', async () => {
    const file = writeArchive(dir, 'sum.tsez.tar.xz', xz(tar))
    const archive = await openArchive(file)
    try {
      const refusedSum = (error: unknown) =>
        error instanceof UsageError && /is missing or not a checksum file/.test(error.message)
      await rm(`${file}.sha256`)
      await assert.rejects(verifyChecksum(archive), refusedSum)
      execFileSync('mkfifo', [`${file}.sha256`]) // nobody writes it: a blocking open or read would never return
      await assert.rejects(verifyChecksum(archive), refusedSum)
      await rm(`${file}.sha256`)
      await mkdir(`${file}.sha256`)
      await assert.rejects(verifyChecksum(archive), refusedSum)
      await rm(`${file}.sha256`, {recursive: true})
      await writeFile(`${file}.sha256`, 'x'.repeat(64 * 1024 + 1))
      await assert.rejects(verifyChecksum(archive), refusedSum)
    } finally {
      await archive.handle.close()
    }
  })

  it('gives each decompressor the archive from its start, however much was read before', async () => {
    const archive = await openArchive(writeArchive(dir, 'web1.tsez.tar.xz', xz(tar)))
    try {
      await verifyChecksum(archive)
      assert.ok((await tarBytes(archive)).equals(tar), 'the first read')
      assert.ok((await tarBytes(archive)).equals(tar), 'the second read, after the first and the sum')
    } finally {
      await archive.handle.close()
    }
  })

  for (const how of ['replaced', 'replaced by a FIFO', 'removed'] as const) {
    it(`refuses an archive ${how} after it was opened, and starts no decompressor`, async () => {
      const file = writeArchive(dir, 'web1.tsez.tar.xz', xz(tar))
      const archive = await openArchive(file)
      try {
        if (how === 'replaced') {
          await writeFile(path.join(dir, 'other'), xz(tar))
          await rename(path.join(dir, 'other'), file) // the same bytes, another file
        } else if (how === 'replaced by a FIFO') {
          execFileSync('mkfifo', [path.join(dir, 'fifo')])
          await rename(path.join(dir, 'fifo'), file) // opening it must not wait for a writer
        } else {
          await rm(file)
        }
        const {runner, calls} = recordingRunner()
        assert.throws(
          () => tarStreamOf(archive, runner),
          (error) =>
            error instanceof UsageError &&
            error.message === `archive ${file} was removed or replaced while it was being read`,
        )
        assert.deepEqual(calls, [])
      } finally {
        await archive.handle.close()
      }
    })
  }
})
