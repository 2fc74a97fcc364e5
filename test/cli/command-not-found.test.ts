// The command_not_found hook: extra words after a command that takes no arguments, and unknown commands.
import type {Config} from '@oclif/core'
import {captureOutput} from '@oclif/test'
import assert from 'node:assert/strict'

import commandNotFound, {wordsOf} from '../../src/cli/command-not-found.js'
import {spawnTsez} from '../support/cli.js'

/** A configuration with the commands `list`, `delete` and `import:ezjail` (in the topic `import`), and a hidden one. */
const ids = ['list', 'delete', 'import:ezjail']
const config = {
  bin: 'tsez',
  commands: [...ids.map((id) => ({id})), {id: 'dlete', hidden: true}],
  topics: [{name: 'import'}],
  findCommand: (id: string) => (ids.includes(id) ? {id} : undefined),
  findTopic: (id: string) => (id === 'import' ? {name: id} : undefined),
} as unknown as Config

/** What the hook prints for the command id ID (oclif's, words joined with ":") and the rest of ARGV. */
async function notFound(id: string, argv: string[] = []) {
  let thrown: unknown
  const output = await captureOutput(async () => {
    try {
      await commandNotFound.call({} as never, {id, argv, config, context: {} as never})
    } catch (error) {
      thrown = error
    }
  })
  const error = thrown as {oclif?: {exit?: number}; skipOclifErrorHandling?: boolean}
  assert.equal(error.oclif?.exit, 2)
  assert.equal(error.skipOclifErrorHandling, true, 'the hook prints; oclif must not print again')
  return output
}

describe('command_not_found', () => {
  it('an extra word after a command that takes none is an unexpected argument', async () => {
    assert.equal((await notFound('list:extra')).stderr, 'tsez: Unexpected argument: extra\n')
    assert.equal((await notFound('list:a:b', ['-v'])).stderr, 'tsez: Unexpected arguments: a, b\n')
    assert.equal((await notFound('import:ezjail:x\ty')).stderr, 'tsez: Unexpected argument: "x\\ty"\n')
  })

  it('an unknown command is named, quoted when it is not a plain word', async () => {
    assert.equal(
      (await notFound('frobnicate:web1')).stderr,
      'tsez: unknown command frobnicate: tsez --help lists the commands\n',
    )
    assert.equal(
      (await notFound('\x1b[2J')).stderr,
      'tsez: unknown command "\\u001b[2J": tsez --help lists the commands\n',
    )
    assert.equal(
      (await notFound('import:frob:x')).stderr,
      'tsez: unknown command import frob: tsez import --help lists the commands\n',
    )
  })

  it('suggests the closest command, in a topic too, and nothing when none is close or only a hidden one is', async () => {
    const line = async (id: string) => (await notFound(id)).stderr
    assert.equal(
      await line('lsit'),
      'tsez: unknown command lsit: did you mean tsez list? tsez --help lists the commands\n',
    )
    assert.equal(
      await line('delte:web1'),
      'tsez: unknown command delte: did you mean tsez delete? tsez --help lists the commands\n',
    )
    assert.equal(
      await line('imprt'),
      'tsez: unknown command imprt: did you mean tsez import? tsez --help lists the commands\n',
    )
    assert.equal(
      await line('import:ezjial'),
      'tsez: unknown command import ezjial: did you mean tsez import ezjail? tsez import --help lists the commands\n',
    )
    assert.equal(await line('ls'), 'tsez: unknown command ls: tsez --help lists the commands\n')
    assert.equal(
      await line('dlete'),
      'tsez: unknown command dlete: did you mean tsez delete? tsez --help lists the commands\n',
    )
  })

  it('a flag before the command: flags go after it, shown with the command line put in order', async () => {
    assert.equal(
      (await notFound('--config', ['F', 'list', '-v'])).stderr,
      'tsez: --config before the command: flags go after it (tsez list --config F -v)\n',
    )
    assert.equal(
      (await notFound('-v', [])).stderr,
      'tsez: -v before the command: flags go after it (tsez COMMAND -v)\n',
    )
  })

  it('--json (before any --) gives the JSON error object on stdout instead', async () => {
    const json = await notFound('list:extra', ['--json'])
    assert.equal(json.stderr, '')
    assert.deepEqual(JSON.parse(json.stdout), {
      version: 1,
      error: {code: 'usage', message: 'Unexpected argument: extra', exitCode: 2},
    })
    assert.equal((await notFound('list:extra', ['--', '--json'])).stdout, '')
  })

  it('an argument with a ":" stays one word when the command line is at hand (tsez install http://x)', async () => {
    assert.deepEqual(wordsOf('install:http://x', ['install', 'http://x']), ['install', 'http://x'])
    assert.deepEqual(wordsOf('list:a:b', ['-v', 'list']), ['list', 'a', 'b'], 'another command line: the pieces')
    const spawned = await spawnTsez(['install', 'http://mirror.example/x'], {}).done
    assert.equal(spawned.exitCode, 2)
    assert.equal(spawned.stderr, 'tsez: Unexpected argument: http://mirror.example/x\n')
  })

  it('tsez help NAME for no command or topic: the same one line and exit 2, help of a real one unchanged', async () => {
    const unknown = await spawnTsez(['help', 'lst'], {}).done
    assert.equal(unknown.exitCode, 2)
    assert.equal(unknown.stderr, 'tsez: unknown command lst: did you mean tsez list? tsez --help lists the commands\n')
    const known = await spawnTsez(['help', 'list'], {}).done
    assert.equal(known.exitCode, 0)
    assert.match(known.stdout, /^USAGE$/m)
  })
})
