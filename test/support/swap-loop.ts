// Test support: a jail's owner swapping a directory for a symlink as fast as it can, tsez run meanwhile, a tree's files.
import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {mkdir, readdir, writeFile} from 'node:fs/promises'
import path from 'node:path'

import type {CliResult, spawnTsez} from './cli.js'

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

/**
 * What a jail's owner swaps in: HOST_ROOT/secret-NAME, a host directory of COUNT files `f0`... holding
 * `HOST SECRET i`, and ROOT/fifos, COUNT FIFOs of the same names that nobody writes. The host directory's path.
 */
export async function makeBait(hostRoot: string, root: string, name: string, count: number): Promise<string> {
  const secret = path.join(hostRoot, `secret-${name}`)
  await mkdir(secret)
  for (let i = 0; i < count; i++) await writeFile(path.join(secret, `f${i}`), `HOST SECRET ${i}\n`)
  await mkdir(path.join(root, 'fifos'))
  await makeFifos(Array.from({length: count}, (_, i) => path.join(root, 'fifos', `f${i}`)))
  return secret
}

/** mkfifo PATHS (Node cannot make a FIFO). */
async function makeFifos(paths: string[]): Promise<void> {
  await new Promise<void>((resolve, reject) =>
    spawn('mkfifo', paths).on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`mkfifo: exit ${code}`)))),
  )
}

/**
 * ATTEMPTS runs of START(attempt) while ATTACKER swaps (it is killed after them, whatever happens): each must end
 * within 60 s (else it hung: killed, and the test fails) with exit 0 or 1. Their results, in order.
 */
export async function underAttack(
  attacker: ReturnType<typeof spawn>,
  attempts: number,
  start: (attempt: number) => ReturnType<typeof spawnTsez> | Promise<ReturnType<typeof spawnTsez>>,
): Promise<CliResult[]> {
  const results: CliResult[] = []
  try {
    for (let attempt = 0; attempt < attempts; attempt++) {
      const run = await start(attempt)
      const timer = setTimeout(() => run.child.kill('SIGKILL'), 60_000)
      const result = await run.done
      clearTimeout(timer)
      assert.notEqual(result.exitCode, 128, `attempt ${attempt} hung (killed after 60 s)`)
      assert.ok([0, 1].includes(result.exitCode), `attempt ${attempt}: exit ${result.exitCode}: ${result.stderr}`)
      results.push(result)
    }
  } finally {
    attacker.kill('SIGKILL')
  }
  return results
}
