// Seeds freebsd-update's state in a workdir as freebsd-update.sh leaves it: a link to a manifest directory.
import {mkdir, symlink, writeFile} from 'node:fs/promises'
import path from 'node:path'

/** Makes ENTRY (a -install or -rollback path) link to WORKDIR/NAME holding the MARKS files; returns that directory. */
export async function seedStateEntry(workdir: string, entry: string, name: string, marks: string[] = []) {
  const manifest = path.join(workdir, name)
  await mkdir(manifest, {recursive: true})
  for (const mark of marks) await writeFile(path.join(manifest, mark), '')
  await symlink(name, entry)
  return manifest
}
