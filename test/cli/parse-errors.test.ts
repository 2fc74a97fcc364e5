// oclif's parse errors become one line, checked against what @oclif/core's own parser throws.
import {Args, Flags} from '@oclif/core'
import {parse} from '@oclif/core/parser'
import assert from 'node:assert/strict'

import {describeParseError, refuseValuedBooleans} from '../../src/cli/parse-errors.js'

const usage = {
  command: 'tsez create',
  args: [
    {name: 'name', required: true},
    {name: 'iplist', required: true},
    {name: 'extra', required: false},
  ],
  flags: ['parallel', 'count', 'run', 'norun', 'rename'],
}

const input = {
  args: {
    name: Args.string({required: true}),
    iplist: Args.string({required: true}),
    extra: Args.string(),
  },
  flags: {
    parallel: Flags.integer({char: 'p', min: 1}),
    count: Flags.integer({max: 9}),
    run: Flags.boolean({exclusive: ['norun']}),
    norun: Flags.boolean({exclusive: ['run']}),
    rename: Flags.string({exclusive: ['norun']}),
  },
}

/** What describeParseError makes of the error oclif's parser throws for ARGV. */
async function described(argv: string[]): Promise<string | undefined> {
  const error = await parse(argv, input).then(
    () => assert.fail(`${argv.join(' ')} parsed`),
    (thrown: unknown) => thrown as Error,
  )
  return describeParseError(error, usage)
}

describe('describeParseError', () => {
  it('names the missing arguments and shows the usage', async () => {
    assert.equal(await described([]), 'missing arguments NAME, IPLIST (usage: tsez create [FLAGS] NAME IPLIST [EXTRA])')
    assert.equal(await described(['web1']), 'missing argument IPLIST (usage: tsez create [FLAGS] NAME IPLIST [EXTRA])')
  })

  it('quotes an integer flag value that is not one, or out of range', async () => {
    assert.equal(await described(['a', 'b', '-p', '0']), '--parallel: expected an integer >= 1, got "0"')
    assert.equal(await described(['a', 'b', '--count', '10']), '--count: expected an integer <= 9, got "10"')
    assert.equal(await described(['a', 'b', '-p', '']), '--parallel: expected an integer, got ""')
    assert.equal(await described(['a', 'b', '-p', 'x\ny\x1b']), '--parallel: expected an integer, got "x\\ny\\u001b"')
  })

  it('names two exclusive flags once, without the value oclif quotes raw', async () => {
    const run = '--norun cannot also be provided when using --run'
    assert.equal(await described(['a', 'b', '--run', '--norun']), run)
    assert.equal(await described(['a', 'b', '--norun', '--run']), run)
    assert.equal(
      await described(['a', 'b', '--rename', 'x\x1b[2J', '--norun']),
      '--norun cannot also be provided when using --rename',
    )
  })

  it('quotes unexpected arguments and nonexistent flags that are not plain words', async () => {
    assert.equal(await described(['a', 'b', 'c', 'd']), 'Unexpected argument: d')
    assert.equal(await described(['a', 'b', 'c', '', 'e\tf']), 'Unexpected arguments: "", "e\\tf"')
    const help = '(tsez create --help lists them)'
    assert.equal(await described(['a', 'b', '--bogus']), `Nonexistent flag: --bogus ${help}`)
    assert.equal(await described(['a', 'b', '--\x1b[2J', '-Z']), `Nonexistent flags: "--\\u001b[2J", -Z ${help}`)
  })

  it('suggests the closest flag for a mistyped long one, and none when nothing is close', async () => {
    const help = '(tsez create --help lists them)'
    assert.equal(
      await described(['a', 'b', '--paralel']),
      `Nonexistent flag: --paralel (did you mean --parallel?) ${help}`,
    )
    assert.equal(await described(['a', 'b', '--rnu']), `Nonexistent flag: --rnu (did you mean --run?) ${help}`)
    assert.equal(await described(['a', 'b', '--xyz']), `Nonexistent flag: --xyz ${help}`)
  })

  it('leaves any other error to describeError', () => {
    assert.equal(describeParseError(new Error('Flag --rename expects a value'), usage), undefined)
  })
})

describe('refuseValuedBooleans', () => {
  const flags = {
    all: {type: 'boolean', char: 'a'},
    'dry-run': {type: 'boolean', char: 'n'},
    execute: {type: 'option', char: 'e'},
  }
  const refused = (argv: string[]) => {
    try {
      refuseValuedBooleans(argv, flags)
      return undefined
    } catch (error) {
      return (error as Error).message
    }
  }

  it('names the boolean flag given a value, long or short, bundled or not', () => {
    assert.match(refused(['web1', '--all=yes']) ?? '', /^--all takes no value \(given "yes"\)/)
    assert.match(refused(['--dry-run=']) ?? '', /^--dry-run takes no value \(given ""\)/)
    assert.match(refused(['-a=1']) ?? '', /^-a takes no value \(given "1"\)/)
    assert.match(refused(['-na=\x1b']) ?? '', /^-a takes no value \(given "\\u001b"\)/)
  })

  it('leaves values of flags that take one, arguments after --, and unknown flags to oclif', () => {
    assert.equal(refused(['-e', '--all=1', 'web1']), undefined)
    assert.equal(refused(['--execute', '-a=1']), undefined)
    assert.equal(refused(['-ea=1']), undefined)
    assert.equal(refused(['-ne', '-a=1']), undefined)
    assert.equal(refused(['--execute=--all=1', '-a']), undefined)
    assert.equal(refused(['--', '--all=1']), undefined)
    assert.equal(refused(['--bogus=1', '-Z=1', '--all', '-an']), undefined)
  })
})
