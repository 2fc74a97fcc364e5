// Preloaded into a spawned tsez (`node --import`) by races.test.ts: once it has taken the host lock and written its
// name there, it holds it TSEZ_TEST_HOLD_LOCK_MS longer, so that a command started at the same moment meets the lock
// held. On exit it says on stderr whether it found the lock held first (`hold-lock: waited`), so a test can tell
// that the lock, not luck, kept the two apart. Only node:fs/promises' open is wrapped: the lock is taken there.
import fs from 'node:fs'
import type {FileHandle} from 'node:fs/promises'
import {syncBuiltinESMExports} from 'node:module'
import {setTimeout as sleep} from 'node:timers/promises'

const holdMs = Number(process.env.TSEZ_TEST_HOLD_LOCK_MS ?? 0)
let waited = false
const promises = fs.promises as unknown as {open: (...args: unknown[]) => Promise<FileHandle>}
const open = promises.open
promises.open = async function (...args: unknown[]) {
  const isLock = typeof args[0] === 'string' && args[0].endsWith('/lock') && args[1] === 'wx'
  try {
    const handle = await open.apply(fs.promises, args)
    if (!isLock) return handle
    const close = handle.close.bind(handle)
    handle.close = async () => {
      await close()
      await sleep(holdMs)
    }
    return handle
  } catch (error) {
    if (isLock && (error as NodeJS.ErrnoException).code === 'EEXIST') waited = true
    throw error
  }
}
syncBuiltinESMExports()
process.on('exit', () => process.stderr.write(`hold-lock: ${waited ? 'waited' : 'did not wait'}\n`))
