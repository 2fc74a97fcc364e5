// The oracle for install fidelity: sets extracted by `bsdtar -xpf`, then split the ezjail way with mv and ln -s.
import {execFile} from 'node:child_process'
import {lstat, mkdir, readlink} from 'node:fs/promises'
import path from 'node:path'
import {promisify} from 'node:util'

const run = promisify(execFile)

/** SPEC §4 install, written out independently of the product's own constant. */
export const SPLIT_DIRS =
  'bin boot lib libexec rescue sbin usr/bin usr/include usr/lib usr/lib32 usr/libdata usr/libexec usr/sbin usr/share usr/src'.split(
    ' ',
  )

export async function referenceInstall(
  releaseDir: string,
  sets: string[],
  into: string,
): Promise<{basejail: string; newjail: string}> {
  const newjail = path.join(into, 'newjail')
  const basejail = path.join(into, 'basejail')
  await mkdir(newjail, {recursive: true})
  for (const set of sets)
    await run('bsdtar', ['-xpf', path.join(releaseDir, `${set}.txz`), '--numeric-owner', '-C', newjail])
  await run('mkdir', ['-p', path.join(basejail, 'usr')])
  for (const dir of SPLIT_DIRS) {
    const source = path.join(newjail, dir)
    if (
      await lstat(source).then(
        () => true,
        () => false,
      )
    )
      await run('mv', [source, path.join(basejail, dir)])
    await run('ln', ['-s', `/basejail/${dir}`, source])
  }
  if (
    !(await lstat(path.join(newjail, 'usr/ports')).then(
      () => true,
      () => false,
    ))
  ) {
    await run('ln', ['-s', '/basejail/usr/ports', path.join(newjail, 'usr/ports')])
  }
  await mkdir(path.join(newjail, 'basejail'))
  return {basejail, newjail}
}

/** Paths (relative to root) that carry the ext4 immutable attribute, which bsdtar sets for SCHILY.fflags=schg. */
export async function immutablePaths(root: string): Promise<string[]> {
  const {stdout} = await run(
    'find',
    [root, '(', '-type', 'f', '-o', '-type', 'd', ')', '-exec', 'lsattr', '-d', '{}', '+'],
    {
      maxBuffer: 64 << 20,
    },
  )
  return stdout
    .split('\n')
    .filter((line) => /^\S*i\S* /.test(line))
    .map((line) => path.relative(root, line.slice(line.indexOf(' ') + 1)))
    .sort()
}

export async function linkTarget(file: string): Promise<string> {
  return readlink(file)
}
