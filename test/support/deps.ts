// Test support: a quiet Deps for calling a service directly (no log, no progress output), with overrides.
import {fileURLToPath} from 'node:url'

import {systemClock} from '../../src/system/clock.js'
import {realCopyFs} from '../../src/system/copy-tree.js'
import type {Deps} from '../../src/system/deps.js'
import {createRunner} from '../../src/system/runner.js'
import {quietProgress} from '../../src/ui/progress.js'

const PACKAGE_ROOT = fileURLToPath(new URL('../..', import.meta.url))

/** The real runner, silent log and progress, the system clock, the real file copy, an empty environment, this package's root. */
export function quietDeps(overrides: Partial<Deps> = {}): Deps {
  return {
    run: createRunner(),
    log: {info() {}, warn() {}},
    progress: quietProgress,
    clock: systemClock,
    fs: realCopyFs,
    env: {},
    packageRoot: PACKAGE_ROOT,
    ...overrides,
  }
}
