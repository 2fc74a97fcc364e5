// `npm run bench [name...]`: runs the benchmarks, each against its baseline in the same process, and prints ratios.
import {buildRelease} from '../bin/build.js'
import {benchArchive} from './archive.js'
import {benchArchiveMany} from './archive-many.js'
import {benchCreate} from './create.js'
import {benchCreateZfs} from './create-zfs.js'
import {benchInstall} from './install.js'
import {benchList} from './list.js'
import {benchStart} from './start.js'
import {benchStartup} from './startup.js'
import {benchUpdate} from './update.js'

const benches: Record<string, () => Promise<void>> = {
  install: benchInstall,
  create: benchCreate,
  'create-zfs': benchCreateZfs,
  list: benchList,
  start: benchStart,
  startup: benchStartup,
  update: benchUpdate,
  archive: benchArchive,
  'archive-many': benchArchiveMany,
}

const wanted = process.argv.slice(2)
const names = wanted.length > 0 ? wanted : Object.keys(benches)
const unknown = names.filter((name) => !(name in benches))
if (unknown.length > 0)
  throw new Error(`unknown benchmark ${unknown.join(', ')}; known: ${Object.keys(benches).join(', ')}`)
// Once for all: the benches run the release bundle (node bin/run.js), as an installed tsez starts.
process.stderr.write('building dist/ (npm run build)...\n')
await buildRelease()
for (const name of names) await benches[name]!()
