// The least a restore of a tsez archive does, in plain Node.js with node-tar (no tsez code, no checks): the sha256
// of the archive first, then `xz -dc -T0` into node-tar's parser, every member written with its owner, mode and
// times. bench/archive.ts times it as a floor for `tsez restore`. argv: ARCHIVE DESTINATION (an empty directory)
import {spawn} from 'node:child_process'
import {Buffer} from 'node:buffer'
import {createHash} from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'

import {Parser} from 'tar'

const [archive, destination] = process.argv.slice(2)
const hash = createHash('sha256')
const buffer = Buffer.allocUnsafe(1024 * 1024)
const input = fs.openSync(archive, 'r')
for (let read; (read = fs.readSync(input, buffer)) > 0;) hash.update(buffer.subarray(0, read))
const expected = fs.readFileSync(`${archive}.sha256`, 'utf8').match(/[0-9a-f]{64}/)?.[0]
if (hash.digest('hex') !== expected) throw new Error('checksum mismatch')

const xz = spawn('xz', ['-dc', '-T0'], {stdio: [fs.openSync(archive, 'r'), 'pipe', 'inherit']})
const parser = new Parser({strict: true})
const dirs = []
const made = new Set([''])
const parentOf = (rel) => {
  const dir = path.dirname(rel)
  if (!made.has(dir === '.' ? '' : dir)) fs.mkdirSync(path.join(destination, dir), {recursive: true})
  made.add(dir)
}
parser.on('entry', (entry) => {
  const rel = entry.path.replace(/\/$/, '')
  const file = path.join(destination, rel)
  const {uid, gid, mode, mtime} = entry
  if (entry.type === 'Directory') {
    parentOf(rel)
    if (!made.has(rel)) fs.mkdirSync(file)
    made.add(rel)
    dirs.push([file, uid, gid, mode, mtime])
  } else if (entry.type === 'File') {
    parentOf(rel)
    const fd = fs.openSync(file, 'wx', 0o600)
    entry.on('data', (chunk) => fs.writeSync(fd, chunk))
    entry.on('end', () => {
      fs.fchownSync(fd, uid, gid)
      fs.fchmodSync(fd, mode)
      fs.futimesSync(fd, mtime, mtime)
      fs.closeSync(fd)
    })
    return
  } else if (entry.type === 'SymbolicLink') {
    parentOf(rel)
    fs.symlinkSync(entry.linkpath, file)
    fs.lchownSync(file, uid, gid)
    fs.lutimesSync(file, mtime, mtime)
  } else if (entry.type === 'Link') {
    parentOf(rel)
    fs.linkSync(path.join(destination, entry.linkpath), file)
  }
  entry.resume()
})
const ended = new Promise((resolve) => parser.on('end', resolve))
for await (const chunk of xz.stdout)
  if (!parser.write(chunk)) await new Promise((resolve) => parser.once('drain', resolve))
parser.end()
await ended
for (const [dir, uid, gid, mode, mtime] of dirs.reverse()) {
  fs.chownSync(dir, uid, gid)
  fs.chmodSync(dir, mode)
  fs.utimesSync(dir, mtime, mtime)
}
