// Preloaded into a spawned tsez (`node --import`) by the kill tests: SIGKILL just before its Nth filesystem change.
// TSEZ_TEST_KILL_AT_STEP=N picks the change, counting only changes to paths under TSEZ_TEST_KILL_UNDER (the test
// host: so tsx's cache never shifts the count); on a normal exit the count goes to stderr, so a test can walk
// N = 1, 2, ... until the command runs through. Only node:fs/promises is wrapped: tsez changes files there.
// Worker threads (the tar extraction's) run this preload too and count on the same counter: the main thread's
// preload hands every Worker it makes a shared one.
import fs from 'node:fs'
import {syncBuiltinESMExports} from 'node:module'
import workerThreads from 'node:worker_threads'

const at = Number(process.env.TSEZ_TEST_KILL_AT_STEP ?? 0)
const under = process.env.TSEZ_TEST_KILL_UNDER ?? '/'
const COUNTER = '__tsezKillAtStepCounter'
const inherited = (workerThreads.workerData as Record<string, unknown> | undefined)?.[COUNTER]
const counter = new Int32Array(inherited instanceof SharedArrayBuffer ? inherited : new SharedArrayBuffer(4))
const nextStep = () => Atomics.add(counter, 0, 1) + 1
if (workerThreads.isMainThread) {
  const Original = workerThreads.Worker
  class CountingWorker extends Original {
    constructor(filename: string | URL, options: workerThreads.WorkerOptions = {}) {
      const data = (options.workerData ?? {}) as Record<string, unknown>
      super(filename, {...options, workerData: {...data, [COUNTER]: counter.buffer}})
    }
  }
  workerThreads.Worker = CountingWorker
}
const changes = ['rename', 'writeFile', 'appendFile', 'rm', 'rmdir', 'unlink', 'mkdir', 'copyFile', 'cp']
const changes2 = ['chmod', 'chown', 'lchown', 'symlink', 'link', 'utimes', 'lutimes']
const promises = fs.promises as unknown as Record<string, (...args: unknown[]) => unknown>

const counted = (name: string, isChange: (args: unknown[]) => boolean) => {
  const original = promises[name]
  if (typeof original !== 'function') return
  promises[name] = function (this: unknown, ...args: unknown[]) {
    const target = args[0]
    if (typeof target === 'string' && target.startsWith(under) && isChange(args) && nextStep() === at) {
      process.kill(process.pid, 'SIGKILL')
    }
    return original.apply(this, args)
  }
}
for (const name of [...changes, ...changes2]) counted(name, () => true)
counted('open', ([, flags]) => typeof flags === 'string' && /[wax+]/.test(flags))
syncBuiltinESMExports()
if (workerThreads.isMainThread) {
  process.on('exit', () => process.stderr.write(`kill-at-step: ${Atomics.load(counter, 0)} changes\n`))
}

// TSEZ_TEST_KILL_SYNC=1 also counts node:fs's synchronous changes (the tree walks of delete and copy run in line,
// by names relative to a working directory they move: a relative path counts when the working directory is under
// TSEZ_TEST_KILL_UNDER).
if (process.env.TSEZ_TEST_KILL_SYNC === '1') {
  const sync = fs as unknown as Record<string, (...args: unknown[]) => unknown>
  const syncChanges = ['unlink', 'rmdir', 'rename', 'mkdir', 'writeFile', 'copyFile', 'symlink', 'link']
  const inScope = (target: unknown) => {
    const text = Buffer.isBuffer(target) ? target.toString('latin1') : typeof target === 'string' ? target : ''
    return text.startsWith('/') ? text.startsWith(under) : process.cwd().startsWith(under)
  }
  for (const name of [...syncChanges, ...changes2].map((base) => `${base}Sync`)) {
    const original = sync[name]
    if (typeof original !== 'function') continue
    sync[name] = function (this: unknown, ...args: unknown[]) {
      if (inScope(args[0]) && nextStep() === at) process.kill(process.pid, 'SIGKILL')
      return original.apply(this, args)
    }
  }
  syncBuiltinESMExports()
}
