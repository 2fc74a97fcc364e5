import assert from 'node:assert/strict'

import {Parser, type ReadEntry} from 'tar'

import {PaxNotes} from '../../src/dist/archive-rules.js'
import {tarHeaderBlocks} from '../../src/dist/tar-write.js'
import {nameText} from '../../src/system/byte-names.js'

const mtime = new Date(1_700_000_000_000)

/** The entries node-tar reads from BLOCKS (headers only), each with the path and link target PaxNotes give it. */
function readBack(blocks: Buffer[]): Array<{path: string; linkpath?: string; flags?: string}> {
  const parser = new Parser({strict: true})
  const notes = new PaxNotes()
  const read: Array<{path: string; linkpath?: string; flags?: string}> = []
  parser.on('meta', (text: string) => notes.read(text))
  parser.on('entry', (entry: ReadEntry) => {
    const flags = notes.take(entry)
    read.push({path: entry.path, ...(entry.linkpath ? {linkpath: entry.linkpath} : {}), ...(flags ? {flags} : {})})
    entry.resume()
  })
  parser.end(Buffer.concat([...blocks, Buffer.alloc(1024)]))
  return read
}

describe('tar headers (tar-write)', () => {
  it('a name that is not UTF-8: its bytes in path with hdrcharset=BINARY, and in hex in TSEZ.rawpath', () => {
    const name = nameText(Buffer.from([0x72, 0x2f, 0x63, 0x61, 0x66, 0xe9])) // r/caf\xe9
    const blocks = [
      ...tarHeaderBlocks({path: name, type: 'File', size: 0, mode: 0o644, uid: 0, gid: 0, mtime}, undefined),
    ]
    const pax = blocks[1] ?? Buffer.alloc(0)
    assert.ok(pax.includes(Buffer.from('hdrcharset=BINARY\n')))
    assert.ok(pax.includes(Buffer.from([...Buffer.from(' path=r/caf'), 0xe9, 0x0a])), 'the bytes themselves')
    assert.ok(pax.includes(Buffer.from(' TSEZ.rawpath=722f636166e9\n')))
    assert.deepEqual(readBack(blocks), [{path: name}])
  })

  it('a symlink target that is not UTF-8 and file flags read back exactly; UTF-8 names get no raw records', () => {
    const target = nameText(Buffer.from([0x2e, 0x2e, 0x2f, 0xff, 0xfe]))
    const blocks = [
      ...tarHeaderBlocks({path: 'r/link', type: 'SymbolicLink', linkpath: target, mode: 0o755, mtime}, 'uarch'),
      ...tarHeaderBlocks({path: 'r/café', type: 'File', size: 0, mode: 0o644, mtime}, undefined),
      ...tarHeaderBlocks({path: 'r/plain', type: 'File', size: 0, mode: 0o644, mtime}, undefined),
    ]
    assert.equal(Buffer.concat(blocks).includes('hdrcharset'), true)
    assert.equal(Buffer.concat(blocks.slice(2)).includes('TSEZ.'), false, 'no raw record for UTF-8 names')
    assert.deepEqual(readBack(blocks), [
      {path: 'r/link', linkpath: target, flags: 'uarch'},
      {path: 'r/café'},
      {path: 'r/plain'},
    ])
  })

  it('PaxNotes: a raw name record that is not hex is refused; notes go to the next member only', () => {
    const notes = new PaxNotes()
    assert.throws(() => notes.read('20 TSEZ.rawpath=xyz\n'), /TSEZ\.rawpath record is not hex bytes/)
    assert.throws(() => notes.read('18 TSEZ.rawpath=\n'), /not hex bytes/)
    notes.read('24 TSEZ.rawpath=2f6574ff\n')
    const first = {path: 'fine'} as ReadEntry
    const second = {path: 'next'} as ReadEntry
    notes.take(first)
    notes.take(second)
    assert.deepEqual([first.path, second.path], ['/et\udcff', 'next'])
  })
})
