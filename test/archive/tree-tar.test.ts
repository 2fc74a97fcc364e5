import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {createHash, randomBytes} from 'node:crypto'
import * as fs from 'node:fs'
import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {Parser, type ReadEntry} from 'tar'

import {treeBlocks, treeEntries} from '../../src/archive/tree-tar.js'
import {JailReader} from '../../src/system/tree-reader.js'
import {countingChdirs} from '../support/chdir-count.js'

interface Member {
  path: string
  type: string
  size: number
  linkpath: string
  sha256: string
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex')

/** The members of a tar stream, each file's bytes hashed. */
async function members(chunks: Buffer[]): Promise<Member[]> {
  const found: Member[] = []
  const parser = new Parser({strict: true})
  parser.on('entry', (entry: ReadEntry) => {
    const data: Buffer[] = []
    entry.on('data', (chunk: Buffer) => data.push(chunk))
    entry.on('end', () => {
      const {path, type, size = 0, linkpath = ''} = entry
      found.push({path, type, size, linkpath, sha256: sha256(Buffer.concat(data))})
    })
  })
  const ended = new Promise((resolve, reject) => parser.on('end', resolve).on('error', reject))
  for (const chunk of chunks) parser.write(chunk)
  parser.end(Buffer.alloc(1024))
  await ended
  return found
}

/** What the archive must hold, walked apart: depth first in name order, a second name of a file as a Link. */
function expected(root: string, prefix: string): Member[] {
  const seen = new Map<string, string>()
  const out: Member[] = []
  const visit = (rel: string): void => {
    const abs = path.join(root, rel)
    const st = fs.lstatSync(abs)
    const name = rel === '' ? `${prefix}/` : `${prefix}/${rel}${st.isDirectory() ? '/' : ''}`
    const member = {path: name, type: 'File', size: 0, linkpath: '', sha256: sha256(Buffer.alloc(0))}
    if (st.isDirectory()) out.push({...member, type: 'Directory'})
    else if (st.isSymbolicLink()) out.push({...member, type: 'SymbolicLink', linkpath: fs.readlinkSync(abs)})
    else if (st.isFIFO()) out.push({...member, type: 'FIFO'})
    else if (seen.has(`${st.ino}`)) out.push({...member, type: 'Link', linkpath: seen.get(`${st.ino}`) ?? ''})
    else {
      if (st.nlink > 1) seen.set(`${st.ino}`, name)
      const content = fs.readFileSync(abs)
      out.push({...member, size: content.length, sha256: sha256(content)})
    }
    if (!st.isDirectory()) return
    for (const child of fs.readdirSync(abs).sort()) visit(rel === '' ? child : `${rel}/${child}`)
  }
  visit('')
  return out
}

async function drain(blocks: AsyncGenerator<Buffer>): Promise<Buffer[]> {
  const chunks: Buffer[] = []
  for await (const chunk of blocks) chunks.push(chunk)
  return chunks
}

/** This process's open descriptors of files under DIR (other code of the process may open its own meanwhile). */
function openDescriptors(dir: string): number {
  return fs.readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return fs.readlinkSync(`/proc/self/fd/${fd}`).startsWith(`${dir}/`)
    } catch {
      return false // the descriptor readdir itself used, closed by now
    }
  }).length
}

describe('archive/tree-tar: a jail tree as tar blocks, read a directory at a time', () => {
  let dir: string
  let root: string
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'tsez-tree-tar-'))
    root = path.join(dir, 'jail')
    fs.mkdirSync(root)
  })
  afterEach(async () => rm(dir, {recursive: true, force: true}))

  it('every entry in name order with its bytes: directories of hundreds of files, large and small, links across batches', async () => {
    const many = path.join(root, 'many')
    fs.mkdirSync(many)
    for (let i = 0; i < 600; i++) {
      const name = path.join(many, `f${String(i).padStart(3, '0')}`)
      // every 25th file is larger than what is read in place (streamed from its descriptor), one spans two chunks
      const size = i === 50 ? 1024 * 1024 + 7 : i % 25 === 0 ? 300 * 1024 + i : (i * 37) % 2000
      fs.writeFileSync(name, randomBytes(size))
    }
    fs.mkdirSync(path.join(many, 'f100d/inner'), {recursive: true}) // a directory between files of one batch
    fs.writeFileSync(path.join(many, 'f100d/inner/leaf'), 'leaf\n')
    fs.linkSync(path.join(many, 'f001'), path.join(many, 'f590-link')) // a second name 2 batches later
    fs.linkSync(path.join(many, 'f025'), path.join(root, 'z-large-link')) // a large file's second name elsewhere
    fs.symlinkSync('f002', path.join(many, 'f300-link'))
    fs.symlinkSync('/etc/master.passwd', path.join(many, 'f400-abs-link'))
    execFileSync('mkfifo', [path.join(many, 'f500-fifo')])
    const large = path.join(root, 'large')
    fs.mkdirSync(large)
    // more large files than one batch keeps open
    for (let i = 0; i < 45; i++)
      fs.writeFileSync(path.join(large, `l${String(i).padStart(2, '0')}`), randomBytes(260 * 1024 + i))

    const before = openDescriptors(dir)
    const {value: chunks, chdirs} = await countingChdirs(() =>
      drain(treeBlocks({root, mountPoints: []}, 'root', new Map())),
    )
    // a descent per directory and per batch of its files (5 directories, 600 and 45 files), not one per file
    assert.ok(chdirs < 100, `${chdirs} chdirs`)
    assert.equal(openDescriptors(dir), before, 'every descriptor closed')
    const found = await members(chunks)
    assert.deepEqual(found, expected(root, 'root'))
    const listed = [...treeEntries({root, mountPoints: []}, new JailReader(root))]
    assert.equal(found.length, listed.length, 'the same entries as the count')
    // a large file is its own chunks; what lies between two of them is gathered into one
    const largeFiles = found.filter((member) => member.size > 256 * 1024).length
    assert.ok(chunks.length <= 2 * largeFiles + 3, `${chunks.length} chunks for ${largeFiles} large files`)
  })

  it('a generator abandoned in the middle of a large file closes every descriptor it opened', async () => {
    for (let i = 0; i < 40; i++)
      fs.writeFileSync(path.join(root, `l${String(i).padStart(2, '0')}`), randomBytes(2 * 1024 * 1024))
    const before = openDescriptors(dir)
    const blocks = treeBlocks({root, mountPoints: []}, 'root', new Map())
    for (let i = 0; i < 3; i++) await blocks.next()
    assert.ok(openDescriptors(dir) > before + 10, 'a batch of large files is open')
    await blocks.return(undefined)
    assert.equal(openDescriptors(dir), before)
  })

  it('a file of a later batch swapped for a symlink to the host, or for another file, fails the archive; nothing of the host read', async () => {
    fs.writeFileSync(path.join(dir, 'secret'), 'host secret\n')
    for (const swap of ['symlink', 'other file'] as const) {
      fs.rmSync(root, {recursive: true})
      fs.mkdirSync(root)
      fs.writeFileSync(path.join(root, 'a000'), randomBytes(2 * 1024 * 1024)) // streamed: the walk yields in it
      for (let i = 1; i < 300; i++) fs.writeFileSync(path.join(root, `a${String(i).padStart(3, '0')}`), `${i}\n`)
      const blocks = treeBlocks({root, mountPoints: []}, 'root', new Map())
      const chunks = [(await blocks.next()).value as Buffer]
      // the first batch is read; a299 (the second batch) was listed, not yet opened
      const victim = path.join(root, 'a299')
      if (swap === 'symlink') {
        fs.rmSync(victim)
        fs.symlinkSync(path.join(dir, 'secret'), victim)
      } else {
        fs.writeFileSync(path.join(root, 'new'), 'host secret\n')
        fs.renameSync(path.join(root, 'new'), victim)
      }
      await assert.rejects(
        (async () => {
          for await (const chunk of blocks) chunks.push(chunk)
        })(),
        /a299 changed while it was archived/,
        swap,
      )
      assert.ok(!Buffer.concat(chunks).includes('host secret'), swap)
    }
  })
})
