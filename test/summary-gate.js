// Fails `npm test` when mocha ran no test at all: a green run must have executed something.
import {readFileSync} from 'node:fs'

const {passes, failures} = JSON.parse(readFileSync(new URL('../.test-summary.json', import.meta.url), 'utf8'))
if (passes + failures === 0) {
  console.error('no test was executed')
  process.exit(1)
}
console.log(`${passes} passed, ${failures} failed`)
