// Tests for the shipped flavours: their layout, rc files, and first-start scripts run against fake programs.
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const FLAVOURS = fileURLToPath(new URL('../flavours/', import.meta.url))
const BASEJAIL_DIRS = ['bin', 'boot', 'lib', 'libexec', 'rescue', 'sbin', 'usr/bin', 'usr/include', 'usr/lib']
const MORE_BASEJAIL_DIRS = ['usr/lib32', 'usr/libdata', 'usr/libexec', 'usr/sbin', 'usr/share', 'usr/src', 'usr/ports']

function files(dir: string): string[] {
  return readdirSync(dir, {recursive: true, encoding: 'utf8'})
    .filter((f) => statSync(path.join(dir, f)).isFile())
    .sort()
}

function read(flavour: string, file: string): string {
  return readFileSync(path.join(FLAVOURS, flavour, file), 'utf8')
}

/** The NAME="value" assignments of an rc-style file, after checking that it is only those and comments. */
function assignments(flavour: string, file: string): Map<string, string> {
  const text = read(flavour, file)
  assert.equal(spawnSync('sh', ['-n', path.join(FLAVOURS, flavour, file)]).status, 0, `${file} is valid sh`)
  const result = new Map<string, string>()
  for (const line of text.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#'))) {
    const match = /^([A-Za-z_][A-Za-z0-9_]*)="([^"]*)"$/.exec(line)
    assert.ok(match, `${flavour}/${file}: not a NAME="value" line: ${line}`)
    result.set(match[1] ?? '', match[2] ?? '')
  }
  return result
}

describe('shipped flavours', () => {
  const flavours = readdirSync(FLAVOURS).sort()

  it('ships default, example and webserver', () => {
    for (const name of ['default', 'example', 'webserver']) assert.ok(flavours.includes(name), name)
  })

  for (const flavour of flavours) {
    describe(flavour, () => {
      it('puts nothing into the basejail directories (symlinks in a jail) and no resolv.conf', () => {
        for (const file of files(path.join(FLAVOURS, flavour))) {
          for (const dir of [...BASEJAIL_DIRS, ...MORE_BASEJAIL_DIRS]) {
            assert.ok(!file.startsWith(`${dir}/`), `${flavour}/${file} lies under ${dir}`)
          }
          assert.notEqual(file, 'etc/resolv.conf', 'resolv.conf is copied from the host by tsez')
        }
      })

      it('has only NAME="value" lines in its rc and periodic files', () => {
        const rcFiles = files(path.join(FLAVOURS, flavour)).filter((f) =>
          /^etc\/(rc\.conf|periodic\.conf|rc\.conf\.d\/.+)$/.test(f),
        )
        for (const file of rcFiles) assignments(flavour, file)
      })

      const script = path.join(FLAVOURS, flavour, 'tsez.flavour')
      if (existsSync(script)) {
        it('has an executable /bin/sh tsez.flavour with valid syntax that stops on errors', () => {
          assert.ok((statSync(script).mode & 0o111) === 0o111, 'tsez.flavour is executable')
          const text = readFileSync(script, 'utf8')
          assert.ok(text.startsWith('#!/bin/sh\n'))
          assert.match(text, /^set -eu$/m)
          const check = spawnSync('sh', ['-n', script], {encoding: 'utf8'})
          assert.equal(check.status, 0, check.stderr)
        })
      }
    })
  }

  it('default: no mail daemons, a socket-less syslogd, a clean /tmp, host-only periodic jobs off', () => {
    const rc = assignments('default', 'etc/rc.conf')
    for (const name of [
      'sendmail_enable',
      'sendmail_submit_enable',
      'sendmail_outbound_enable',
      'sendmail_msp_queue_enable',
    ]) {
      assert.equal(rc.get(name), 'NO', name)
    }
    assert.equal(rc.get('syslogd_flags'), '-ss')
    assert.equal(rc.get('clear_tmp_enable'), 'YES')
    const periodic = assignments('default', 'etc/periodic.conf')
    assert.equal(periodic.get('daily_output'), '/var/log/daily.log')
    for (const name of ['daily_status_disks_enable', 'daily_status_network_enable', 'weekly_whatis_enable']) {
      assert.equal(periodic.get(name), 'NO', name)
    }
  })

  it('example: documents every flavour feature', () => {
    const readme = read('example', 'README.md')
    for (const topic of [
      'tsez.flavour',
      'ezjail.flavour',
      'jexec',
      'removed',
      'Owners',
      'pw useradd',
      'pkg install -y',
      'sysrc',
      '-f default -f example',
    ]) {
      assert.ok(readme.includes(topic), `README.md covers ${topic}`)
    }
    assert.ok(files(path.join(FLAVOURS, 'example')).some((f) => f.startsWith('etc/rc.conf.d/')))
    const script = read('example', 'tsez.flavour')
    for (const command of [
      'pw useradd',
      'pw groupadd',
      'pkg install -y',
      'pkg bootstrap',
      'sysrc',
      'service',
      'chmod',
    ]) {
      assert.ok(script.includes(command), `tsez.flavour shows ${command}`)
    }
  })

  it('webserver: nginx enabled, serving the sample site the flavour ships', () => {
    const rc = assignments('webserver', 'etc/rc.conf')
    assert.equal(rc.get('nginx_enable'), 'YES')
    assert.equal(rc.get('sshd_enable'), 'NO')
    const conf = read('webserver', 'usr/local/etc/nginx/nginx.conf')
    const root = /^\s*root\s+(\S+);/m.exec(conf)?.[1] ?? ''
    assert.ok(existsSync(path.join(FLAVOURS, 'webserver', root, 'index.html')), `${root}/index.html is shipped`)
    for (const include of conf.matchAll(/^\s*include\s+(\/\S+);/gm)) {
      assert.ok(existsSync(path.join(FLAVOURS, 'webserver', include[1] ?? '')), `${include[1]} is shipped`)
    }
    const script = read('webserver', 'tsez.flavour')
    assert.ok(script.includes('env ASSUME_ALWAYS_YES=yes pkg bootstrap'))
    assert.ok(script.includes('pkg install -y nginx'))
  })

  describe('first-start scripts against fake programs', () => {
    let tmp = ''
    beforeEach(() => {
      tmp = mkdtempSync(path.join(tmpdir(), 'tsez-flavour-'))
    })
    afterEach(() => rmSync(tmp, {recursive: true, force: true}))

    /** Copies FLAVOUR into a fake jail root and runs its script there, with fakes from FAKES first on PATH. */
    function run(flavour: string, fakes: Record<string, string>, setup: (root: string) => void = () => {}) {
      const root = path.join(tmp, 'root')
      cpSync(path.join(FLAVOURS, flavour), root, {recursive: true})
      mkdirSync(path.join(root, 'etc'), {recursive: true})
      writeFileSync(path.join(root, 'etc/resolv.conf'), 'nameserver 192.0.2.53\n')
      setup(root)
      const bin = path.join(tmp, 'bin')
      mkdirSync(bin)
      for (const [name, body] of Object.entries(fakes)) {
        writeFileSync(path.join(bin, name), `#!/bin/sh\necho "${name} $*" >>"${tmp}/log"\n${body}\n`)
        chmodSync(path.join(bin, name), 0o755)
      }
      const script = readFileSync(path.join(root, 'tsez.flavour'), 'utf8')
        .replace(/^PATH=.*$/m, `PATH=${bin}:/usr/bin:/bin`)
        .replaceAll(/(?<=[\s"'=])\/(usr\/local|etc\/resolv\.conf|var\/log\/nginx)/g, `${root}/$1`)
      const result = spawnSync('/bin/sh', ['-c', script], {encoding: 'utf8', env: {FAKE_ROOT: root}})
      const log = existsSync(path.join(tmp, 'log')) ? readFileSync(path.join(tmp, 'log'), 'utf8') : ''
      return {status: result.status, stderr: result.stderr, log, root}
    }

    const pkg = (overwrite: boolean, installExit = 0) => `case "$1" in
  -N) [ -f "$FAKE_ROOT/pkg-ready" ] ;;
  bootstrap) [ "$ASSUME_ALWAYS_YES" = yes ] && touch "$FAKE_ROOT/pkg-ready" ;;
  install) [ -f "$FAKE_ROOT/pkg-ready" ] || exit 70
    ${overwrite ? 'echo "# nginx sample" >"$FAKE_ROOT/usr/local/etc/nginx/nginx.conf"' : ':'}
    exit ${installExit} ;;
esac`
    const ifconfig = (families: string[]) =>
      `printf 'em0: flags=8863<UP>\\n${families.map((f) => `\\t${f === 'inet' ? 'inet 192.0.2.10 netmask 0xffffffff' : 'inet6 2001:db8::10 prefixlen 128'}\\n`).join('')}'`
    const webFakes = (families: string[], overwrite = false, installExit = 0) => ({
      pkg: pkg(overwrite, installExit),
      ifconfig: ifconfig(families),
      nginx: 'grep -q "^listen" "$FAKE_ROOT/usr/local/etc/nginx/tsez-listen.conf"',
      sysrc: ':',
      service: '[ "$2" != status ]',
    })

    it('webserver: bootstraps pkg, installs nginx, keeps its nginx.conf, listens on IPv4 only, starts nginx', () => {
      const shipped = read('webserver', 'usr/local/etc/nginx/nginx.conf')
      const {status, stderr, log, root} = run('webserver', webFakes(['inet'], true))
      assert.equal(status, 0, stderr)
      assert.deepEqual(log.trim().split('\n'), [
        'pkg -N',
        'pkg bootstrap',
        'pkg install -y nginx',
        'ifconfig -a',
        'ifconfig -a',
        'nginx -t',
        'sysrc nginx_enable=YES',
        'service nginx status',
        'service nginx start',
      ])
      assert.equal(readFileSync(path.join(root, 'usr/local/etc/nginx/nginx.conf'), 'utf8'), shipped)
      const listen = readFileSync(path.join(root, 'usr/local/etc/nginx/tsez-listen.conf'), 'utf8')
      assert.match(listen, /^listen 80;$/m)
      assert.doesNotMatch(listen, /\[::\]/)
      assert.ok(existsSync(path.join(root, 'var/log/nginx')))
    })

    it('webserver: listens on both families in a dual-stack jail and skips a done bootstrap', () => {
      const {status, stderr, log, root} = run('webserver', webFakes(['inet', 'inet6']), (r) =>
        writeFileSync(path.join(r, 'pkg-ready'), ''),
      )
      assert.equal(status, 0, stderr)
      assert.ok(!log.includes('pkg bootstrap'))
      const listen = readFileSync(path.join(root, 'usr/local/etc/nginx/tsez-listen.conf'), 'utf8')
      assert.match(listen, /^listen 80;$/m)
      assert.match(listen, /^listen \[::\]:80;$/m)
    })

    it('webserver: fails with a clear message when pkg install fails, and starts nothing', () => {
      const {status, stderr, log} = run('webserver', webFakes(['inet'], false, 3))
      assert.equal(status, 1)
      assert.match(stderr, /tsez webserver flavour: pkg install -y nginx failed/)
      assert.ok(!log.includes('service'))
    })

    it('webserver: fails with a clear message without resolv.conf or without any address', () => {
      const noResolver = run('webserver', webFakes(['inet']), (r) => rmSync(path.join(r, 'etc/resolv.conf')))
      assert.equal(noResolver.status, 1)
      assert.match(noResolver.stderr, /resolv\.conf is missing or empty/)
      rmSync(path.join(tmp, 'bin'), {recursive: true})
      rmSync(path.join(tmp, 'root'), {recursive: true})
      const noAddress = run('webserver', webFakes([]))
      assert.equal(noAddress.status, 1)
      assert.match(noAddress.stderr, /no IPv4 or IPv6 address/)
    })

    it('example: runs to the end, tightening the mode of its config file', () => {
      const {status, stderr, log, root} = run('example', {chown: ':', sysrc: ':', hostname: 'echo www'})
      assert.equal(status, 0, stderr)
      assert.match(log, /^chown root:wheel .*example\.conf$/m)
      assert.match(log, /^sysrc clear_tmp_enable=YES$/m)
      assert.equal(statSync(path.join(root, 'usr/local/etc/tsez-example/example.conf')).mode & 0o777, 0o600)
      assert.match(readFileSync(path.join(root, 'usr/local/etc/tsez-example/flavoured'), 'utf8'), /as www$/m)
    })
  })
})
