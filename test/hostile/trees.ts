// Trees a jail's user can make: names that are not UTF-8 or look like options, chains deeper than PATH_MAX.
import {isUtf8} from 'node:buffer'
import {execFile} from 'node:child_process'
import {mkdirSync, renameSync, writeFileSync} from 'node:fs'
import {link, mkdir, symlink, writeFile} from 'node:fs/promises'
import {promisify} from 'node:util'

const exec = promisify(execFile)

/** Names that are no valid UTF-8, or that a shell or an option parser would take for something else. */
export const ODD_NAMES: Buffer[] = [
  Buffer.from([0x66, 0xff, 0xfe]),
  Buffer.from([0xc3, 0x28]), // a truncated two-byte sequence
  Buffer.from([0xed, 0xa0, 0x80]), // an encoded surrogate
  Buffer.from('new\nline'),
  Buffer.from('back\\slash'),
  Buffer.from('-rf'),
  Buffer.from('--help'),
  Buffer.from(' spaced '),
  Buffer.from('*'),
  Buffer.from('x'.repeat(254)), // 255 bytes with the prefix plantOddNames gives its directories
]

/** DIR/NAME... as one Buffer path (no string could carry these names). */
export function under(dir: string | Buffer, ...names: Array<string | Buffer>): Buffer {
  return Buffer.concat([Buffer.from(dir), ...names.flatMap((n) => [Buffer.from('/'), Buffer.from(n)])])
}

/**
 * In DIR: every odd name as a file, as a directory (holding a file with every odd name) and as a symlink whose
 * target is not UTF-8 either, plus a hard-linked pair with odd names.
 */
export async function plantOddNames(dir: string): Promise<void> {
  for (const [i, name] of ODD_NAMES.entries()) {
    await writeFile(under(dir, name), `file ${i}\n`)
    const sub = under(dir, Buffer.concat([Buffer.from('d'), name]))
    await mkdir(sub)
    for (const inner of ODD_NAMES) await writeFile(under(sub, inner), `inner ${i}\n`)
    await symlink(Buffer.concat([Buffer.from('../'), name]), under(dir, Buffer.concat([Buffer.from('l'), name])))
  }
  await link(under(dir, ODD_NAMES[0] ?? ''), under(dir, Buffer.from([0x68, 0x80])))
}

/**
 * A chain of LEVELS directories under DIR, each named NAME (any bytes), deeper than any path a system call takes:
 * made one level at a time from inside (mkdir, enter; a name chdir cannot take is renamed to from below). At the bottom, a file
 * `leaf`, or whatever BOTTOM makes while the working directory is the bottom.
 */
export function plantChain(
  dir: string,
  levels: number,
  name: Buffer,
  bottom: () => void = () => writeFileSync('leaf', 'bottom\n'),
): void {
  const home = process.cwd()
  process.chdir(dir)
  try {
    for (let i = 0; i < levels; i++) {
      if (isUtf8(name)) {
        mkdirSync(name)
        process.chdir(name.toString())
        continue
      }
      mkdirSync('.plant')
      process.chdir('.plant')
      renameSync('../.plant', Buffer.concat([Buffer.from('../'), name]))
    }
    bottom()
  } finally {
    process.chdir(home)
  }
}

/** The content of `leaf` at the bottom of a chain made by plantChain, read by sh one `cd` at a time. */
export async function readChainLeaf(dir: string, levels: number, name: Buffer): Promise<string> {
  const format = [...name].map((byte) => `\\${byte.toString(8).padStart(3, '0')}`).join('')
  const script = `cd "$1" || exit 1; n=$(printf "$3"); i=0
while [ "$i" -lt "$2" ]; do cd -P -- "$n" || exit 1; i=$((i + 1)); done
cat leaf`
  return (await exec('sh', ['-c', script, 'sh', dir, String(levels), format])).stdout
}

/**
 * Every entry under DIR as raw bytes, sorted: type, mode, owner, mtime (seconds), link count, size of files,
 * symlink target and the path itself. GNU find walks any depth and prints names byte for byte.
 */
export async function listTree(dir: string): Promise<Buffer> {
  const common = '%y %m %U:%G %Ts %n'
  const script = `cd "$1" && find . -mindepth 1 \\( -type f -printf '${common} %s %P\\0' \\) -o \\( -type l -printf '${common} %P -> %l\\0' \\) -o -printf '${common} %P\\0' | sort -z`
  return (await exec('sh', ['-c', script, 'sh', dir], {encoding: 'buffer', maxBuffer: 64 << 20})).stdout
}

/** rm -rf, which (unlike Node's rm) copes with any name at any depth: test cleanup. */
export async function removeAll(dir: string): Promise<void> {
  await exec('rm', ['-rf', '--', dir])
}
