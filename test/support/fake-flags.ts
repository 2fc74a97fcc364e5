// File flags on the fake host: set through the fake chflags, read back as tsez reads them (fake find and stat).
import {execFileSync} from 'node:child_process'
import path from 'node:path'

import type {FakeHost} from '../fixtures/fake-host.js'

/** `chflags -h FLAGS PATH...` on the fake host. */
export function setFakeFlags(fake: FakeHost, flags: string, ...paths: string[]): void {
  execFileSync(path.join(fake.binDir, 'chflags'), ['-h', flags, ...paths], {env: fake.env})
}

/** Relative path ('.' for ROOT) → flags, for every flagged path under ROOT, sorted. */
export function fakeFlagsUnder(fake: FakeHost, root: string): Record<string, string> {
  const found = execFileSync(path.join(fake.binDir, 'find'), ['-x', root, '!', '-flags', '0', '-print0'], {
    env: fake.env,
    encoding: 'utf8',
  })
  const paths = found.split('\0').filter((p) => p !== '')
  if (paths.length === 0) return {}
  const stat = execFileSync(path.join(fake.binDir, 'stat'), ['-f', '%Sf', '--', ...paths], {
    env: fake.env,
    encoding: 'utf8',
  })
  const flags = stat.split('\n')
  const pairs = paths.map((p, i): [string, string] => [path.relative(root, p) || '.', flags[i] ?? ''])
  return Object.fromEntries(pairs.sort(([a], [b]) => (a < b ? -1 : 1)))
}
