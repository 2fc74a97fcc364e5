// The command runner: argv arrays through PATH, stdin closed, -v echo, streaming, and how a failure is told.
import assert from 'node:assert/strict'
import {closeSync, fstatSync, mkdtempSync, openSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {Readable} from 'node:stream'

import {createRunner, ExternalCommandError, outputTail} from '../../src/system/runner.js'

describe('system/runner', () => {
  it('runs a program by name with an argv array, never through a shell', async () => {
    const result = await createRunner().tryRun('printf', ['%s|', 'a b', '$(id)', ';rm'])
    assert.deepEqual(result, {exitCode: 0, stdout: 'a b|$(id)|;rm|', stderr: ''})
  })

  it('run() turns a non-zero exit into ExternalCommandError with the program output', async () => {
    await assert.rejects(
      createRunner().run('sh', ['-c', 'echo broken >&2; exit 3']),
      (error: Error) =>
        error instanceof ExternalCommandError && /sh -c .* failed \(exit 3\): broken/.test(error.message),
    )
  })

  it('gives every program /dev/null as stdin, so nothing waits on input', async () => {
    const result = await createRunner().tryRun('sh', ['-c', 'read line; echo "read:$?"; readlink /proc/self/fd/0'])
    assert.deepEqual(result, {exitCode: 0, stdout: 'read:1\n/dev/null\n', stderr: ''})
  })

  it('a missing program is exit 127, not an exception', async () => {
    const result = await createRunner().tryRun('tsez-no-such-program', [])
    assert.equal(result.exitCode, 127)
    assert.match(
      result.stderr,
      /^tsez-no-such-program: no such program on PATH; tsez runs on FreeBSD; to try it elsewhere run `npm run sandbox`$/,
    )
  })

  it('run() of a missing program fails with that one line alone, pointing at npm run sandbox', async () => {
    await assert.rejects(createRunner().run('tsez-no-such-program', ['-x']), {
      message:
        'tsez-no-such-program: no such program on PATH; tsez runs on FreeBSD; to try it elsewhere run `npm run sandbox`',
    })
  })

  it('-v echoes each program with its argv (and PAGER/UNAME_r) before running it', async () => {
    const lines: string[] = []
    const runner = createRunner((line) => lines.push(line))
    await runner.tryRun('true', ['-b', '/usr/jails/base jail'], {env: {PAGER: 'cat', HOME: '/root'}})
    assert.deepEqual(lines, ["+ PAGER=cat true -b '/usr/jails/base jail'"])
  })

  it('streams stdout from stdin, and reports the exit status when done', async () => {
    const run = createRunner().stream('tr', ['a-z', 'A-Z'], {stdin: Readable.from([Buffer.from('basejail\n')])})
    let out = ''
    for await (const chunk of run.stdout) out += String(chunk)
    assert.equal(out, 'BASEJAIL\n')
    assert.equal((await run.done).exitCode, 0)
    const failing = createRunner().stream('sh', ['-c', 'echo no >&2; exit 4'])
    failing.stdout.resume()
    await assert.rejects(failing.done, /exit 4\): no/)
  })

  it('a stdin this process feeds that fails is the failure told, not the kill of the program after it', async () => {
    function* failing() {
      yield Buffer.from('some bytes\n')
      throw new Error('ENOENT: lstat /usr/jails/web1/gone')
    }
    const run = createRunner().stream('cat', [], {stdin: Readable.from(failing())})
    run.stdout.resume()
    await assert.rejects(run.done, /^Error: ENOENT: lstat \/usr\/jails\/web1\/gone$/)
  })

  it('gives a file descriptor to the program as its stdin, to read itself; the caller keeps the descriptor', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tsez-runner-'))
    try {
      const file = path.join(dir, 'in')
      writeFileSync(file, 'jail one\n')
      const descriptor = openSync(file, 'r')
      try {
        const run = createRunner().stream('tr', ['a-z', 'A-Z'], {stdin: descriptor})
        let out = ''
        for await (const chunk of run.stdout) out += String(chunk)
        assert.equal(out, 'JAIL ONE\n')
        assert.equal((await run.done).exitCode, 0)
        assert.equal(fstatSync(descriptor).isFile(), true, 'the descriptor is still open')
      } finally {
        closeSync(descriptor)
      }
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })

  it("outputTail: a program's last lines from stderr, else stdout, trimmed, blank lines left out", () => {
    const result = {stdout: 'one\ntwo\n', stderr: ''}
    assert.equal(outputTail(result, 1), 'two')
    assert.equal(outputTail(result, 3), 'one | two')
    assert.equal(outputTail({stdout: 'out\n', stderr: '  a\n\n b \n c\n\n'}, 2), 'b | c')
    assert.equal(outputTail({stdout: '\n', stderr: ' \n'}, 5), '')
    assert.match(
      new ExternalCommandError('x', ['-y'], {exitCode: 2, stdout: '', stderr: ''}).message,
      /: exit status 2$/,
    )
  })
})
