// The least a crash-safe create on ZFS does, in plain Node.js (no tsez code): the host lock, one `zfs clone` marked
// with a property (what a later sweep would find, had this been killed before the record), the jail's fstab,
// jail.conf and record written whole (temp, fsync, rename), the lock released. bench/create-zfs.ts times it as a
// floor: no Node.js program that creates a jail safely can start and finish faster.
// argv: DIR SNAPSHOT DATASET MOUNTPOINT
import {spawn} from 'node:child_process'
import {closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync} from 'node:fs'
import path from 'node:path'

const [dir, snapshot, dataset, mountpoint] = process.argv.slice(2)
const lock = path.join(dir, 'lock')
const lockFd = openSync(lock, 'wx')
writeSync(lockFd, `${process.pid}\n`)
fsyncSync(lockFd)

const clone = spawn(
  'zfs',
  ['clone', '-o', `mountpoint=${mountpoint}`, '-o', `tsez:creating=${process.pid}`, snapshot, dataset],
  {stdio: 'ignore'},
)
const code = await new Promise((resolve) => clone.on('close', resolve))
if (code !== 0) throw new Error(`zfs clone exited ${code}`)

const name = path.basename(dataset)
for (const [file, text] of [
  [`${name}.fstab`, `${mountpoint}/../basejail ${mountpoint}/basejail nullfs ro 0 0\n`],
  [`${name}.conf`, `${name} {\n  path = "${mountpoint}";\n  ip4.addr = 10.0.0.1;\n}\n`],
  [`${name}.json`, JSON.stringify({name, root: mountpoint, dataset})],
]) {
  const temp = path.join(dir, `.${file}.tmp`)
  const fd = openSync(temp, 'wx')
  writeSync(fd, text)
  fsyncSync(fd)
  closeSync(fd)
  renameSync(temp, path.join(dir, file))
}
closeSync(lockFd)
unlinkSync(lock)
