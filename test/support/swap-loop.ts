// Test support: a jail's owner swapping a directory for a symlink as fast as it can, and what a tree holds.
import {spawn} from 'node:child_process'
import {readdir} from 'node:fs/promises'
import path from 'node:path'

/**
 * The jail's owner: DIR (a directory of the newjail, so freeze compares what is in it) and a symlink to TARGET
 * (a host directory, or a directory of FIFOs nobody writes) trade places again and again, each for a few random
 * milliseconds, by two renames (the moment between them, when DIR is missing, lasts two system calls). A second
 * process: what runs inside a jail can do this at any time.
 */
export function swapLoop(root: string, dir: string, target: string) {
  const script = `
    const fs = require('node:fs')
    const pause = new Int32Array(new SharedArrayBuffer(4))
    const [root, dir, target] = process.argv.slice(1)
    process.chdir(root)
    fs.symlinkSync(target, 'link')
    for (;;) {
      fs.renameSync(dir, 'away')
      fs.renameSync('link', dir)
      Atomics.wait(pause, 0, 0, Math.random() * 10)
      fs.renameSync(dir, 'link')
      fs.renameSync('away', dir)
      Atomics.wait(pause, 0, 0, Math.random() * 10)
    }`
  return spawn(process.execPath, ['-e', script, root, dir, target], {stdio: 'ignore'})
}

/** Every regular file under DIR, never through a symlink. */
export async function regularFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, {withFileTypes: true})
  const nested = await Promise.all(
    entries.map(async (entry) => {
      const full = path.join(dir, entry.name)
      if (entry.isDirectory()) return regularFiles(full)
      return entry.isFile() ? [full] : []
    }),
  )
  return nested.flat()
}
