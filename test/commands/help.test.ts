// `tsez CMD --help` at 80 columns: descriptions are written as one source line per paragraph, so oclif wraps them
// cleanly at any width instead of re-wrapping hard-wrapped source lines into ragged ones.
import {Help, type Command, type Config} from '@oclif/core'
import assert from 'node:assert/strict'
import {stripVTControlCharacters} from 'node:util'

import {sourceConfig} from '../../bin/source-config.js'
import {spawnTsez} from '../support/cli.js'

const WIDTH = 80
/** A rendered line that ends a paragraph's non-last line this early was broken by hand, not by the wrapper. */
const MIN_FULL_LINE = 50

/** oclif's Help (what `--help` runs), its output collected instead of printed. */
class RenderedHelp extends Help {
  private output: string[] = []

  protected override log(...args: string[]): void {
    this.output.push(`${args.join(' ')}\n`)
  }

  async helpText(command: Command.Loadable): Promise<string> {
    this.output = []
    await this.showCommandHelp(command)
    return stripVTControlCharacters(this.output.join(''))
  }
}

/** The paragraphs of the DESCRIPTION section of rendered help, each as its lines without the indentation. */
function descriptionSection(help: string): string[][] {
  const lines = help.split('\n')
  const start = lines.indexOf('DESCRIPTION')
  assert.ok(start >= 0, `no DESCRIPTION section in:\n${help}`)
  const end = lines.findIndex((line, index) => index > start && /^\S/.test(line))
  const body = lines.slice(start + 1, end < 0 ? undefined : end)
  const paragraphs: string[][] = [[]]
  for (const line of body) {
    if (line.trim() === '') paragraphs.push([])
    else paragraphs.at(-1)!.push(line.replace(/^ {2}/, ''))
  }
  return paragraphs.filter((paragraph) => paragraph.length > 0)
}

describe('tsez CMD --help', () => {
  let config: Config
  let commands: Command.Loadable[]
  before(async () => {
    config = await sourceConfig()
    // tsez's own commands (plugin-help brings `help`).
    commands = config.commands.filter((command) => command.pluginName === config.pjson.name)
    assert.ok(commands.length >= 10, commands.map((command) => command.id).join(' '))
  })

  it('writes each description paragraph as one line: newlines only as paragraph breaks', async () => {
    for (const command of commands) {
      const loaded = await command.load()
      assert.ok(loaded.summary && !loaded.summary.includes('\n'), `${command.id}: summary is one line`)
      const description = loaded.description ?? ''
      assert.ok(description.trim().length > 0, `${command.id}: has a description`)
      for (const paragraph of description.split('\n\n')) {
        assert.ok(!paragraph.includes('\n'), `${command.id}: newline inside a paragraph: ${JSON.stringify(paragraph)}`)
        assert.equal(paragraph, paragraph.trim(), `${command.id}: paragraph with surrounding blanks`)
        assert.ok(paragraph.length > 0, `${command.id}: empty paragraph (three newlines in a row)`)
      }
      const flags = {...loaded.baseFlags, ...loaded.flags}
      for (const [name, flag] of Object.entries(flags)) {
        assert.ok(!flag.description?.includes('\n'), `${command.id} --${name}: description is one line`)
      }
      for (const [name, arg] of Object.entries(loaded.args ?? {})) {
        assert.ok(!arg.description?.includes('\n'), `${command.id} ${name}: description is one line`)
      }
    }
  })

  it('renders help within 80 columns, each description paragraph filling its lines', async () => {
    const help = new RenderedHelp(config, {...config.pjson.oclif.helpOptions, maxWidth: WIDTH, stripAnsi: true})
    for (const command of commands) {
      const loaded = await command.load()
      const text = await help.helpText(command)
      for (const line of text.split('\n')) {
        assert.ok(line.length <= WIDTH, `${command.id}: line of ${line.length} columns:\n${line}`)
      }
      const expected = [loaded.summary ?? '', ...(loaded.description ?? '').split('\n\n')]
      const rendered = descriptionSection(text)
      assert.deepEqual(
        rendered.map((lines) => lines.join(' ')),
        expected,
        `${command.id}: DESCRIPTION paragraphs as rendered:\n${text}`,
      )
      for (const lines of rendered) {
        for (const line of lines.slice(0, -1)) {
          assert.ok(
            line.length > MIN_FULL_LINE,
            `${command.id}: short line inside a paragraph (${line.length} columns): ${JSON.stringify(line)}`,
          )
        }
      }
    }
  })

  it('prints the same help from a real process at 80 columns', async () => {
    const command = commands.find((c) => c.id === 'config')!
    const help = new RenderedHelp(config, {...config.pjson.oclif.helpOptions, maxWidth: WIDTH, stripAnsi: true})
    const {done} = spawnTsez(['config', '--help'], {OCLIF_COLUMNS: String(WIDTH), COLUMNS: String(WIDTH)})
    const result = await done
    assert.equal(result.exitCode, 0, result.stderr)
    assert.equal(stripVTControlCharacters(result.stdout), await help.helpText(command))
  })
})
