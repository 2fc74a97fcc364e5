// Preloaded into a spawned tsez (`node --import`) by races.test.ts: once it has taken the host lock (linked its
// complete lock file into place), it holds it TSEZ_TEST_HOLD_LOCK_MS longer, so that a command started at the same
// moment meets the lock held. On exit it says on stderr whether it found the lock held first (`hold-lock: waited`),
// so a test can tell that the lock, not luck, kept the two apart. Only node:fs/promises' link is wrapped: the lock
// is taken there.
import fs from 'node:fs'
import {syncBuiltinESMExports} from 'node:module'
import {setTimeout as sleep} from 'node:timers/promises'

const holdMs = Number(process.env.TSEZ_TEST_HOLD_LOCK_MS ?? 0)
let waited = false
const promises = fs.promises as unknown as {link: (...args: unknown[]) => Promise<void>}
const link = promises.link
promises.link = async function (...args: unknown[]) {
  const isLock = typeof args[1] === 'string' && args[1].endsWith('/lock')
  try {
    await link.apply(fs.promises, args)
    if (isLock) await sleep(holdMs)
  } catch (error) {
    if (isLock && (error as NodeJS.ErrnoException).code === 'EEXIST') waited = true
    throw error
  }
}
syncBuiltinESMExports()
process.on('exit', () => process.stderr.write(`hold-lock: ${waited ? 'waited' : 'did not wait'}\n`))
