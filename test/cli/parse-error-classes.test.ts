// Every class of command-line mistake, through the whole CLI: one `tsez:` line naming what is wrong, exit 2,
// nothing on stdout; under --json the error object on stdout (code usage) and nothing on stderr.
import assert from 'node:assert/strict'

import {tsez} from '../support/cli.js'
import {seedHost, type SeededHost} from '../support/seed-jails.js'

/** A class of mistake, an example of it, and what its line must say. */
const CLASSES: Array<{what: string; argv: string[]; line: RegExp}> = [
  {what: 'mistyped command', argv: ['lsit'], line: /^unknown command lsit: did you mean tsez list\? /},
  {
    what: 'mistyped command in a topic',
    argv: ['import', 'ezjial'],
    line: /^unknown command import ezjial: did you mean tsez import ezjail\? tsez import --help/,
  },
  {what: 'unknown command, nothing close', argv: ['frobnicate'], line: /^unknown command frobnicate: tsez --help/},
  {
    what: 'flag before the command',
    argv: ['--config', 'F', 'list'],
    line: /^--config before the command: flags go after it \(tsez list --config F\)$/,
  },
  {what: 'argument to a command without any', argv: ['list', 'extra'], line: /^Unexpected argument: extra$/},
  {what: 'one argument too many', argv: ['console', 'web1', 'extra'], line: /^Unexpected argument: extra$/},
  {
    what: 'mistyped flag',
    argv: ['list', '--colums', 'name'],
    line: /^Nonexistent flag: --colums \(did you mean --columns\?\) \(tsez list --help lists them\)$/,
  },
  {what: 'missing argument', argv: ['create', 'web2'], line: /^missing argument IPLIST \(usage: tsez create /},
  {
    what: 'flag value out of range',
    argv: ['start', '-p', '0'],
    line: /^--parallel: expected an integer >= 1, got "0"$/,
  },
  {what: 'flag value not a number', argv: ['start', '-p', 'x'], line: /^--parallel: expected an integer, got "x"$/},
  {what: 'value given to a boolean flag', argv: ['start', '--all=yes'], line: /^--all takes no value \(given "yes"\)/},
  {
    what: 'flags that exclude each other',
    argv: ['config', 'web1', '--run', '--norun'],
    line: /^--norun cannot also be provided when using --run$/,
  },
  {what: 'flag without its value', argv: ['list', '-o'], line: /^Flag --columns expects a value$/},
  {what: 'value not among the choices', argv: ['archive', '-c', 'lz4', 'web1'], line: /to be one of: xz, zstd, none$/},
]

describe('command-line mistakes, one class each', () => {
  let host: SeededHost
  before(async () => (host = await seedHost()))
  after(() => host.cleanup())

  for (const {what, argv, line} of CLASSES) {
    it(`${what}: tsez ${argv.join(' ')}`, async () => {
      const env = {TSEZ_CONFIG: host.configFile}
      const plain = await tsez(argv, env)
      assert.equal(plain.exitCode, 2)
      assert.equal(plain.stdout, '')
      const lines = plain.stderr.split('\n').filter(Boolean)
      assert.equal(lines.length, 1, plain.stderr)
      assert.match(lines[0] ?? '', /^tsez: /)
      assert.match((lines[0] ?? '').slice('tsez: '.length), line)
      const json = await tsez([...argv, '--json'], env)
      assert.equal(json.exitCode, 2)
      assert.equal(json.stderr, '')
      const {version, error} = JSON.parse(json.stdout) as {version: number; error: {code: string; exitCode: number}}
      assert.deepEqual([version, error.code, error.exitCode], [1, 'usage', 2])
    })
  }
})
