// directCommand: which argument lists start their command directly, and which go to oclif (help, flags first,
// topics, unknown words, hooks), by the committed manifest and package.json.
import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import path from 'node:path'

import {directCommand} from '../../src/cli/direct-run.js'
import {packageRoot} from '../support/cli.js'

const pjson = JSON.parse(readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as Parameters<
  typeof directCommand
>[1]
const manifest = JSON.parse(readFileSync(path.join(packageRoot, 'oclif.manifest.json'), 'utf8')) as Parameters<
  typeof directCommand
>[2]
const root = '/opt/tsez'
const direct = (args: string[], pj = pjson) => directCommand(args, pj, manifest, root)

describe('directCommand', () => {
  it('names a command of the manifest, its compiled file and its own arguments', () => {
    assert.deepEqual(direct(['start', '-p', '8', 'web1']), {
      id: 'start',
      file: path.join(root, 'dist/commands/start.js'),
      argv: ['-p', '8', 'web1'],
    })
    assert.deepEqual(direct(['list']), {id: 'list', file: path.join(root, 'dist/commands/list.js'), argv: []})
  })

  it('takes two words for a command of a topic, and one word as an argument of a command', () => {
    assert.deepEqual(direct(['import', 'ezjail', '--dry-run']), {
      id: 'import:ezjail',
      file: path.join(root, 'dist/commands/import/ezjail.js'),
      argv: ['--dry-run'],
    })
    assert.deepEqual(direct(['delete', 'web1'])?.argv, ['web1'])
    assert.equal(direct(['delete', 'web1'])?.id, 'delete')
  })

  it('leaves help to oclif: --help anywhere before --, a topic alone, no words', () => {
    assert.equal(direct(['start', 'web1', '--help']), undefined)
    assert.equal(direct(['import', 'ezjail', '--help']), undefined)
    assert.equal(direct(['import']), undefined)
    assert.equal(direct([]), undefined)
    assert.equal(direct(['help', 'start']), undefined)
    assert.deepEqual(direct(['start', '--', '--help'])?.argv, ['--', '--help'])
  })

  it('leaves to oclif what does not start with a command id: flags first, unknown or odd words', () => {
    for (const args of [
      ['--version'],
      ['-v', 'start'],
      ['strat'],
      ['START'],
      ['start\u0000'],
      ['../start'],
      ['import:ezjail'],
      ['constructor'],
      ['__proto__'],
      ['toString'],
    ]) {
      assert.equal(direct(args), undefined, JSON.stringify(args))
    }
  })

  it('honours additional help flags that package.json declares', () => {
    const withH = {...pjson, oclif: {...pjson.oclif, additionalHelpFlags: ['-h']}}
    assert.equal(direct(['list', '-h'], withH), undefined)
    assert.equal(direct(['list', '-h'])?.id, 'list')
  })

  it('leaves every run to oclif once package.json declares a hook a command run calls', () => {
    for (const hook of ['init', 'prerun', 'postrun', 'preparse', 'finally']) {
      const hooked = {...pjson, oclif: {...pjson.oclif, hooks: {...pjson.oclif.hooks, [hook]: './hook.js'}}}
      assert.equal(direct(['list'], hooked), undefined, hook)
    }
  })

  it('leaves every run to oclif when commands are not separated by spaces', () => {
    const colons = {...pjson, oclif: {...pjson.oclif, topicSeparator: ':' as const}}
    assert.equal(direct(['list'], colons), undefined)
  })
})
