import * as fs from 'node:fs'
import path from 'node:path'
import {execFileSync} from 'node:child_process'
import {copyTree} from '../src/system/copy-tree.js'
const src = process.argv[2]!
function copySync(source: string, dest: string) {
  const dirs: Array<[string, fs.Stats]> = []
  const inodes = new Map<string, string>()
  const visit = (s: string, d: string) => {
    const st = fs.lstatSync(s)
    if (st.isDirectory()) {
      fs.mkdirSync(d, {mode: 0o700})
      dirs.push([d, st])
      for (const name of fs.readdirSync(s)) visit(path.join(s, name), path.join(d, name))
    } else if (st.isFile()) {
      const key = `${st.ino}`
      const first = st.nlink > 1 ? inodes.get(key) : undefined
      if (first) { fs.linkSync(first, d); return }
      fs.copyFileSync(s, d, fs.constants.COPYFILE_FICLONE)
      fs.lchownSync(d, st.uid, st.gid)
      fs.chmodSync(d, st.mode & 0o7777)
      fs.utimesSync(d, st.atime, st.mtime)
      if (st.nlink > 1) inodes.set(key, d)
    } else if (st.isSymbolicLink()) {
      fs.symlinkSync(fs.readlinkSync(s), d)
      fs.lchownSync(d, st.uid, st.gid)
      fs.lutimesSync(d, st.atime, st.mtime)
    }
  }
  visit(source, dest)
  for (const [d, st] of dirs.reverse()) { fs.lchownSync(d, st.uid, st.gid); fs.chmodSync(d, st.mode & 0o7777); fs.utimesSync(d, st.atime, st.mtime) }
}
const out = fs.mkdtempSync('/tmp/synccopy-')
for (let round = 0; round < 4; round++) {
  let t = performance.now()
  for (let i = 0; i < 40; i++) copySync(src, `${out}/s${round}-${i}`)
  console.log('sync', ((performance.now() - t) / 40).toFixed(1))
  t = performance.now()
  for (let i = 0; i < 40; i++) await copyTree(src, `${out}/a${round}-${i}`)
  console.log('async', ((performance.now() - t) / 40).toFixed(1))
  t = performance.now()
  for (let i = 0; i < 40; i++) execFileSync('cp', ['-a', src, `${out}/c${round}-${i}`])
  console.log('cp -a', ((performance.now() - t) / 40).toFixed(1))
}
execFileSync('rm', ['-rf', out])
