// The scavenges asked for while a decompressor's output passes through: every chunk in order, one per EVERY bytes.
import assert from 'node:assert/strict'

import {exposedGc, withScavenges, type Collect} from '../../src/system/scavenges.js'

async function* chunksOf(sizes: number[]): AsyncGenerator<Buffer> {
  for (const [index, size] of sizes.entries()) yield await Promise.resolve(Buffer.alloc(size, index))
}

describe('system/scavenges', () => {
  it('passes every chunk through in order and asks for a minor collection after every EVERY bytes', async () => {
    const asked: string[] = []
    let seen = 0
    const collect: Collect = ({type}) => asked.push(`${type} after ${seen}`)
    const out: Buffer[] = []
    for await (const chunk of withScavenges(chunksOf([3, 4, 2, 7, 1, 5]), {collect, every: 8})) {
      out.push(chunk)
      seen += chunk.length
    }
    assert.deepEqual(
      out.map((chunk) => [chunk.length, chunk[0]]),
      [
        [3, 0],
        [4, 1],
        [2, 2],
        [7, 3],
        [1, 4],
        [5, 5],
      ],
    )
    // 3+4+2 = 9 >= 8, then 7+1 = 8: each once the chunk that crossed the line was handled
    assert.deepEqual(asked, ['minor after 9', 'minor after 17'])
  })

  it('asks for none without a collector, and passes a failure of the input on', async () => {
    async function* failing(): AsyncGenerator<Buffer> {
      yield await Promise.resolve(Buffer.alloc(10))
      throw new Error('xz: (stdin): Compressed data is corrupt')
    }
    const out: number[] = []
    await assert.rejects(
      (async () => {
        for await (const chunk of withScavenges(failing(), {collect: null, every: 1})) out.push(chunk.length)
      })(),
      /Compressed data is corrupt/,
    )
    assert.deepEqual(out, [10])
  })

  it("exposes V8's gc() on this Node.js, once, and a minor collection runs", () => {
    const gc = exposedGc()
    assert.equal(typeof gc, 'function')
    assert.equal(exposedGc(), gc)
    gc!({type: 'minor'})
  })
})
