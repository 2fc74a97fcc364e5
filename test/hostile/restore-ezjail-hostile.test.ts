// `tsez restore` of hostile or broken ezjail archives: exit 2, one line, nothing on disk changed, nothing run.
import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {mkdir, symlink, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {gunzipSync, gzipSync} from 'node:zlib'

import {ezjailProp, makeEzjailArchive, type EzjailArchiveOptions} from '../fixtures/ezjail-archive.js'
import {useHostileHost} from './support.js'

interface Case {
  what: string
  /** Writes the archive into DIR; returns its path. */
  make: (dir: string) => Promise<string>
  message: RegExp
  args?: string[]
}

const HOSTNAME = 'old.example.org'
const SAFE = 'old_example_org'
const PWNED = path.join(tmpdir(), `tsez-ezjail-pwned-${process.pid}`)

/** A small thin tree: etc/rc.conf, etc/hosts (two links), var/fifo, basejail/ and bin -> /basejail/bin. */
async function smallTree(tree: string): Promise<void> {
  await mkdir(path.join(tree, 'etc'))
  await mkdir(path.join(tree, 'var'))
  await mkdir(path.join(tree, 'basejail'))
  await symlink('/basejail/bin', path.join(tree, 'bin'))
  await writeFile(path.join(tree, 'etc/rc.conf'), 'sshd_enable="YES"\n')
  await writeFile(path.join(tree, 'etc/hosts'), '127.0.0.1 localhost\n')
  execFileSync('ln', [path.join(tree, 'etc/hosts'), path.join(tree, 'etc/hosts.link')])
  execFileSync('mkfifo', [path.join(tree, 'var/fifo')])
}

const archive =
  (options: Partial<EzjailArchiveOptions> = {}) =>
  (dir: string): Promise<string> =>
    makeEzjailArchive(dir, {
      hostname: HOSTNAME,
      ip: '10.7.7.7',
      ...options,
      fill: async (tree) => {
        await smallTree(tree)
        await options.fill?.(tree)
      },
    })

/** The archive with its decompressed cpio changed by EDIT (the header of member NAME at the offset given). */
const patchedCpio =
  (edit: (cpio: Buffer, header: number) => Buffer, name = 'ezjail/etc/rc.conf') =>
  async (dir: string): Promise<string> => {
    const file = await archive()(dir)
    const cpio = gunzipSync(readFileSync(file))
    const header = cpio.indexOf(Buffer.from(`${name}\0`)) - 76
    assert.ok(header >= 0, `no ${name} in the cpio`)
    writeFileSync(file, gzipSync(edit(Buffer.from(cpio), header)))
    return file
  }

/** A fill making a device node NAME (mknod NAME TYPE MAJOR MINOR). */
const mknod =
  (name: string, ...node: string[]) =>
  (tree: string): Promise<void> => {
    execFileSync('mknod', [path.join(tree, name), ...node])
    return Promise.resolve()
  }

/** A pax ezjail archive whose hard link ezjail/etc/hosts.link points to TARGET (its ustar header rewritten). */
const linkedTo =
  (target: string) =>
  async (dir: string): Promise<string> => {
    const file = await archive({format: 'pax'})(dir)
    const tar = gunzipSync(readFileSync(file))
    const header = tar.indexOf(Buffer.from('ezjail/etc/hosts.link\0'))
    assert.ok(header >= 0 && tar[header + 156] === 0x31, 'no hard link ezjail/etc/hosts.link in the tar')
    tar.fill(0, header + 157, header + 257)
    tar.write(target, header + 157, 'latin1')
    tar.fill(0x20, header + 148, header + 156)
    const sum = tar.subarray(header, header + 512).reduce((total, byte) => total + byte, 0)
    tar.write(`${sum.toString(8).padStart(6, '0')}\0 `, header + 148, 'latin1')
    writeFileSync(file, gzipSync(tar))
    return file
  }

const withProp = (prop: string, propName?: string) => archive({prop, ...(propName ? {propName} : {})})
const propLine = (line: string) => withProp(`${ezjailProp(HOSTNAME, '10.7.7.7')}${line}\n`)

describe('hostile: tsez restore of hostile and broken ezjail archives', () => {
  const hostile = useHostileHost()
  const dir = mkdtempSync(path.join(tmpdir(), 'tsez-hostile-ezjail-'))
  after(() => rmSync(dir, {recursive: true, force: true}))

  const cases: Case[] = [
    {
      what: 'a ../ member',
      make: archive({substitutions: [',^ezjail/etc/rc.conf$,../rc.conf,']}),
      message: /unsafe member name "\.\.\/rc\.conf"/,
    },
    {
      what: 'a member climbing out of ezjail/ (ezjail/../../x)',
      make: archive({substitutions: [',^ezjail/etc/rc.conf$,ezjail/../../x,']}),
      message: /unsafe member name "ezjail\/\.\.\/\.\.\/x"/,
    },
    {
      what: 'an absolute member name',
      make: archive({absolute: true, substitutions: [',^ezjail/etc/rc.conf$,/etc/rc.conf,']}),
      message: /unsafe member name "\/etc\/rc\.conf"/,
    },
    {
      what: 'a file beneath a symlink of the archive (symlink-then-file escape)',
      make: archive({
        fill: async (tree) => {
          await symlink('/etc', path.join(tree, 'link'))
          await mkdir(path.join(tree, 'x'))
          await writeFile(path.join(tree, 'x/passwd'), 'toor::0:0::/:/bin/sh\n')
        },
        substitutions: [',^ezjail/x/passwd$,ezjail/link/passwd,'],
      }),
      message: /"ezjail\/link\/passwd" lies beneath the symlink "ezjail\/link"/,
    },
    {
      what: 'a hard link to /etc/master.passwd (pax)',
      make: linkedTo('/etc/master.passwd'),
      message: /hard link "ezjail\/etc\/hosts\.link" points to the unsafe name "\/etc\/master\.passwd"/,
    },
    {
      what: 'a hard link to a file outside ezjail/ (pax)',
      make: linkedTo('fstab.ezjail'),
      message: /hard link "ezjail\/etc\/hosts\.link" points to "fstab\.ezjail", not a file of ezjail\/ met before/,
    },
    {
      what: 'a character device',
      make: archive({fill: mknod('mem', 'c', '1', '1')}),
      message: /"ezjail\/mem" is a device node/,
    },
    {
      what: 'a block device (pax)',
      make: archive({
        format: 'pax',
        fill: mknod('disk', 'b', '7', '0'),
      }),
      message: /"ezjail\/disk" is a device node/,
    },
    {
      what: 'a socket',
      make: patchedCpio((cpio, header) => {
        cpio.write('140644', header + 18, 'latin1')
        return cpio
      }),
      message: /"ezjail\/etc\/rc\.conf" is a socket/,
    },
    {
      what: 'a FIFO outside ezjail/',
      make: archive({substitutions: [',^ezjail/var/fifo$,fifo,']}),
      message: /"fifo" lies outside ezjail\/ \(a FIFO\)/,
    },
    {
      what: 'a member outside ezjail/',
      make: archive({substitutions: [',^ezjail/etc/rc.conf$,rc.conf,']}),
      message: /"rc\.conf" lies outside ezjail\//,
    },
    {
      what: 'no prop file',
      make: archive({noProp: true}),
      message: /first member is "fstab\.ezjail", not prop\.ezjail-NAME-DATE-HOST-RELEASE-CPU: not an ezjail archive/,
    },
    {
      what: 'a prop file with a command substitution',
      make: withProp(ezjailProp(HOSTNAME, '10.7.7.7').replace(`="${HOSTNAME}"`, `="$(touch ${PWNED})"`)),
      message: /prop\.ezjail-.*:\d+: .*tsez reads it without running it/,
    },
    {
      what: 'a prop file with a command line',
      make: propLine(`touch ${PWNED}`),
      message: /prop\.ezjail-.*:\d+: .*tsez reads it without running it/,
    },
    {
      what: 'a prop file with backquotes',
      make: propLine(`export jail_${SAFE}_fib="\`touch ${PWNED}\`"`),
      message: /prop\.ezjail-.*:\d+: .*tsez reads it without running it/,
    },
    {
      what: "a prop file setting another jail's variables",
      make: propLine('export jail_other_hostname="other"'),
      message: /jail_other_hostname is not one of ezjail's variables for old_example_org/,
    },
    {
      what: 'an image jail (the tag ends in the image size)',
      make: archive({propName: `prop.ezjail-${SAFE}-201407271153.13-oldhost-14.3_RELEASE-amd64-1073741824`}),
      message: /an image jail's archive/,
    },
    {
      what: 'a prop file whose name is not an ezjail tag',
      make: archive({propName: 'prop.ezjail-garbage'}),
      message: /"prop\.ezjail-garbage" is not ezjail's prop\.ezjail-NAME-DATE-HOST-RELEASE-CPU/,
    },
    {
      what: 'a prop file of 2 MiB',
      make: withProp(`${ezjailProp(HOSTNAME, '10.7.7.7')}#${'x'.repeat(2 * 1024 * 1024)}\n`),
      message: /prop\.ezjail-NAME-DATE-HOST-RELEASE-CPU is \d+ bytes/,
    },
    {
      what: 'a huge declared size',
      make: patchedCpio((cpio, header) => {
        cpio.write('77777777777', header + 65, 'latin1')
        return cpio
      }),
      message: /truncated cpio archive|damaged archive/,
    },
    {
      what: 'a cpio without its trailer',
      make: patchedCpio((cpio) => cpio.subarray(0, cpio.indexOf(Buffer.from('TRAILER!!!')) - 76)),
      message: /truncated cpio archive/,
    },
    {
      what: 'a truncated gzip',
      make: async (d) => {
        const file = await archive()(d)
        writeFileSync(file, readFileSync(file).subarray(0, 300))
        return file
      },
      message: /damaged archive|truncated/,
    },
    {
      what: 'gzip of random bytes',
      make: (d) => {
        const file = path.join(d, 'random.tar.gz')
        writeFileSync(file, gzipSync(Buffer.from('no cpio, no tar here '.repeat(100))))
        return Promise.resolve(file)
      },
      message: /neither a cpio nor a tar archive: not an ezjail archive/,
    },
    {
      what: 'a .sha256 beside it that does not match',
      make: async (d) => {
        const file = await archive()(d)
        writeFileSync(`${file}.sha256`, `${'0'.repeat(64)}  ${path.basename(file)}\n`)
        return file
      },
      message: /checksum mismatch/,
    },
    {
      what: 'another release',
      make: archive({release: '13.2_RELEASE_p1'}),
      message: /"13\.2-RELEASE-p1".*--force-release/,
    },
    {
      what: 'a name in use',
      make: archive({}),
      message: /www_example_com|www\.example\.com/,
      args: ['--name', 'www.example.com'],
    },
    {
      what: 'an address in use',
      make: archive({}),
      message: /address 10\.0\.0\.5 is in use by jail web1/,
      args: ['--ip', '10.0.0.5'],
    },
  ]

  for (const [index, c] of cases.entries()) {
    it(`refuses ${c.what}`, async function () {
      this.timeout(60_000)
      const caseDir = path.join(dir, `case-${index}`)
      mkdirSync(caseDir)
      const file = await c.make(caseDir)
      await hostile.refuses(['restore', ...(c.args ?? []), file], {exit: 2, message: c.message})
      assert.equal(existsSync(PWNED), false, 'something in the prop file was run')
    })
  }

  it('restores the genuine archive (the suite is not refusing everything)', async function () {
    this.timeout(60_000)
    const caseDir = path.join(dir, 'genuine')
    mkdirSync(caseDir)
    await hostile.ok(['restore', await archive()(caseDir)])
  })
})
