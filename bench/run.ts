// `npm run bench [name...]`: runs the benchmarks, each against its baseline in the same process, and prints ratios.
import {benchCreate} from './create.js'
import {benchInstall} from './install.js'
import {benchList} from './list.js'
import {benchStart} from './start.js'
import {benchUpdate} from './update.js'

const benches: Record<string, () => Promise<void>> = {
  install: benchInstall,
  create: benchCreate,
  list: benchList,
  start: benchStart,
  update: benchUpdate,
}

const wanted = process.argv.slice(2)
for (const name of wanted.length > 0 ? wanted : Object.keys(benches)) {
  const bench = benches[name]
  if (!bench) throw new Error(`unknown benchmark ${name}; known: ${Object.keys(benches).join(', ')}`)
  await bench()
}
