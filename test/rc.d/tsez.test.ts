import assert from 'node:assert/strict'
import {execFile} from 'node:child_process'
import {chmod, mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {promisify} from 'node:util'

import {packageRoot} from '../support/cli.js'

const exec = promisify(execFile)
const SCRIPT = path.join(packageRoot, 'rc.d', 'tsez')

/** Just enough of FreeBSD's /etc/rc.subr: load_rc_config, checkyesno, and run_rc_command with one/rcvar handling. */
const STUB_RC_SUBR = `
load_rc_config() { [ -n "$RC_CONF" ] && . "$RC_CONF"; return 0; }
checkyesno() {
	eval _value=\\$$1
	case $_value in [Yy][Ee][Ss] | [Tt][Rr][Uu][Ee] | [Oo][Nn] | 1) return 0 ;; *) return 1 ;; esac
}
run_rc_command() {
	_action=$1 _one=
	case $_action in one*) _action=\${_action#one} _one=1 ;; esac
	if [ -z "$_one" ] && ! checkyesno "$rcvar"; then
		echo "Cannot '$1' $name. Set $rcvar to YES in /etc/rc.conf or use 'one$1' instead of '$1'." >&2
		return 0
	fi
	case $_action in
	start) eval "$start_cmd" ;;
	stop) eval "$stop_cmd" ;;
	restart) eval "$stop_cmd" && eval "$start_cmd" ;;
	status) eval "$status_cmd" ;;
	*) echo "$0: unknown directive '$1'" >&2; return 1 ;;
	esac
}
`

describe('rc.d/tsez', () => {
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'tsez-rcd-'))
    const script = await readFile(SCRIPT, 'utf8')
    assert.equal(script.split('\n').filter((line) => line === '. /etc/rc.subr').length, 1)
    await writeFile(path.join(dir, 'rc.subr'), STUB_RC_SUBR)
    await writeFile(path.join(dir, 'tsez.rc'), script.replace('. /etc/rc.subr', `. ${dir}/rc.subr`))
    await writeFile(path.join(dir, 'tsez'), `#!/bin/sh\nprintf '%s\\n' "$*" >> "${dir}/calls"\n`)
    await chmod(path.join(dir, 'tsez'), 0o755)
  })
  afterEach(() => rm(dir, {recursive: true, force: true}))

  async function rc(action: string, rcConf: string): Promise<{calls: string[]; stdout: string; stderr: string}> {
    await writeFile(path.join(dir, 'rc.conf'), rcConf)
    await rm(path.join(dir, 'calls'), {force: true})
    const env = {PATH: `${dir}:/usr/bin:/bin`, RC_CONF: path.join(dir, 'rc.conf')}
    const {stdout, stderr} = await exec('sh', [path.join(dir, 'tsez.rc'), action], {env})
    const calls = await readFile(path.join(dir, 'calls'), 'utf8').catch(() => '')
    return {calls: calls.split('\n').filter(Boolean), stdout, stderr}
  }

  it('is valid sh and declares itself to rcorder like rc.d/jail', async () => {
    await exec('sh', ['-n', SCRIPT])
    const script = await readFile(SCRIPT, 'utf8')
    assert.match(script, /^# PROVIDE: tsez$/m)
    assert.match(script, /^# REQUIRE: LOGIN FILESYSTEMS$/m)
    assert.match(script, /^# KEYWORD: nojail shutdown$/m)
    assert.match(script, /^rcvar="tsez_enable"$/m)
  })

  it('start runs `tsez start -p N` and stop runs `tsez stop --all -p N` when enabled', async () => {
    const conf = 'tsez_enable="YES"\ntsez_parallel="4"\n'
    assert.deepEqual((await rc('start', conf)).calls, ['start -p 4'])
    assert.deepEqual((await rc('stop', conf)).calls, ['stop --all -p 4'])
    assert.deepEqual((await rc('restart', conf)).calls, ['stop --all -p 4', 'start -p 4'])
  })

  it('does nothing unless tsez_enable=YES (onestart still works); passes tsez_config on', async () => {
    const disabled = await rc('start', '')
    assert.deepEqual(disabled.calls, [])
    assert.match(disabled.stderr, /Set tsez_enable to YES/)
    assert.deepEqual((await rc('onestart', '')).calls, ['start -p 1'])
    const other = await rc('start', 'tsez_enable="YES"\ntsez_config="/etc/tsez-lab.conf"\n')
    assert.deepEqual(other.calls, ['start -p 1 --config /etc/tsez-lab.conf'])
  })
})
