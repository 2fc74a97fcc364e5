// Test support: the set-up most command tests share, a seeded tsez host beside a fake FreeBSD host, made and
// removed by mocha hooks.
import {createFakeHost, type FakeHost} from '../fixtures/fake-host.js'
import {seedHost, type SeededHost} from './seed-jails.js'

export interface SeededFakeHost {
  /** tsez's paths under a temp directory and a basejail, no jails yet (seed-jails.ts). */
  host: SeededHost
  /** The fake programs on PATH and their state (test/fixtures/bin). */
  fake: FakeHost
  /** For a tsez run against both: the fake host's PATH, the seeded tsez.conf, no wait for the host lock. */
  env: NodeJS.ProcessEnv
}

/**
 * Registers hooks that make a fresh seeded host and fake host before each test (before all of them with `once`),
 * hand them to USE, and remove both after it. Hooks the caller registers later run after these.
 */
export function useSeededFakeHost(use: (made: SeededFakeHost) => void, {once = false} = {}): void {
  let made: SeededFakeHost | undefined
  ;(once ? before : beforeEach)(async () => {
    const host = await seedHost()
    try {
      const fake = await createFakeHost()
      made = {host, fake, env: {...fake.env, TSEZ_CONFIG: host.configFile, TSEZ_LOCK_WAIT: '0'}}
    } catch (error) {
      await host.cleanup()
      throw error
    }
    use(made)
  })
  ;(once ? after : afterEach)(async () => {
    const done = made
    made = undefined
    await done?.host.cleanup()
    await done?.fake.cleanup()
  })
}
