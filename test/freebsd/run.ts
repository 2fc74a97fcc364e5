// `npm run test:freebsd`: refuses (one line, exit 2) unless realHostRefusal finds nothing, then runs the suite.
import {spawnSync} from 'node:child_process'
import path from 'node:path'

import {packageRoot} from '../support/cli.js'
import {realHostRefusal} from './guard.js'

const refusal = realHostRefusal({platform: process.platform, uid: process.getuid?.(), env: process.env})
if (refusal !== undefined) {
  process.stderr.write(`test:freebsd: refused: ${refusal}\n`)
  process.exit(2)
}
const mocha = path.join(packageRoot, 'node_modules/mocha/bin/mocha.js')
const suite = path.join(packageRoot, 'test/freebsd/real-host.suite.ts')
const run = spawnSync(process.execPath, [mocha, '--bail', suite], {cwd: packageRoot, stdio: 'inherit'})
process.exit(run.status ?? 1)
