#!/usr/bin/env node
// The installed CLI: the release bundle built by bin/build.js (npm run build), with Node's module compile cache.
import {readFileSync} from 'node:fs'
import module from 'node:module'
import {homedir} from 'node:os'
import path from 'node:path'

const major = Number(process.versions.node.split('.')[0])
if (major < 22) {
  process.stderr.write(`tsez: needs Node.js 22 or later (this is Node.js ${process.versions.node})\n`)
  process.exit(1)
}

/**
 * The compile cache keeps V8's compiled code of the bundle between runs. $XDG_CACHE_HOME/tsez/node-compile-cache,
 * else ~/.cache/tsez/...; none when HOME is / (rc(8) at boot), so tsez never makes a /.cache. Node skips it
 * silently when the directory cannot be created or written, and NODE_DISABLE_COMPILE_CACHE=1 turns it off.
 */
function compileCacheDir() {
  const xdg = process.env.XDG_CACHE_HOME
  if (xdg && path.isAbsolute(xdg)) return path.join(xdg, 'tsez', 'node-compile-cache')
  const home = process.env.HOME || homedir()
  if (!home || path.resolve(home) === '/') return undefined
  return path.join(home, '.cache', 'tsez', 'node-compile-cache')
}

// `tsez --version` prints oclif's user agent without loading oclif: most of its start-up was oclif's.
if (process.argv.length === 3 && process.argv[2] === '--version') {
  const {name, version} = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
  const arch = process.arch === 'ia32' ? 'x86' : process.arch
  process.stdout.write(`${name}/${version} ${process.platform}-${arch} node-${process.version}\n`)
  process.exit(0)
}

try {
  const dir = compileCacheDir()
  if (dir !== undefined) module.enableCompileCache?.(dir)
} catch {
  // An unusable home or cache directory: run without the cache.
}

/**
 * Settles when whoever reads stdout went away (`tsez list | head -1`): EPIPE is not a failure of the run, which goes
 * on to its end (its output is lost, as a killed reader wants), but oclif's flush would wait for a drain that never
 * comes and Node would end the process with exit 13 and an "unsettled top-level await" warning.
 */
const readerGone = new Promise((resolve) => {
  process.stdout.on('error', (error) => {
    if (error.code !== 'EPIPE' && error.code !== 'ERR_STREAM_DESTROYED') throw error
    resolve(undefined)
  })
})

// Imported only now, so that the bundle goes through the compile cache.
const {execute} = await import('../dist/src/cli/oclif.js')
const run = execute({dir: import.meta.url})
await Promise.race([run, readerGone])
// The reader went first: a failure of the run that is still going must fail the process as before, not be taken
// as handled by the race.
run.catch((error) => {
  throw error
})
