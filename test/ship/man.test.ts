// man/tsez.8 documents every command and flag of oclif.manifest.json, man/tsez.conf.5 every tsez.conf key; mandoc-clean.
import assert from 'node:assert/strict'
import {execFile} from 'node:child_process'
import {readFile} from 'node:fs/promises'
import path from 'node:path'
import {promisify} from 'node:util'

import {parseConfigText} from '../../src/config.js'
import {packageRoot} from '../support/cli.js'

interface ManifestFlag {
  char?: string
  allowNo?: boolean
  hidden?: boolean
}

const read = (file: string) => readFile(path.join(packageRoot, file), 'utf8')

/** The mdoc source cut at its .Ss lines: subsection title -> its lines. */
function subsections(mdoc: string): Map<string, string> {
  const sections = new Map<string, string>()
  let title = ''
  for (const line of mdoc.split('\n')) {
    if (line.startsWith('.Ss ') || line.startsWith('.Sh ')) title = line.slice(4).trim()
    else sections.set(title, `${sections.get(title) ?? ''}${line}\n`)
  }
  return sections
}

/** mdoc's `Fl -json` (rendered --json) or `Fl v`, as a whole word on a macro line. */
function mentionsFlag(text: string, flag: string): boolean {
  const escaped = flag.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&')
  return new RegExp(`(^\\.| )Fl ${escaped}( |$)`, 'm').test(text)
}

describe('the man pages', () => {
  it('tsez.8 has a subsection for every command of the manifest, naming each of its flags', async () => {
    const manifest = JSON.parse(await read('oclif.manifest.json')) as {
      commands: Record<string, {flags: Record<string, ManifestFlag>; hidden?: boolean}>
    }
    const sections = subsections(await read('man/tsez.8'))
    const common = sections.get('Common options') ?? ''
    const missing: string[] = []
    for (const [id, command] of Object.entries(manifest.commands)) {
      if (command.hidden) continue
      const title = id.replaceAll(':', ' ')
      const own = sections.get(title)
      if (own === undefined) {
        missing.push(`command ${title} (no .Ss ${title})`)
        continue
      }
      for (const [name, flag] of Object.entries(command.flags)) {
        if (flag.hidden) continue
        const spellings = [`-${name}`, ...(flag.allowNo ? [`-no-${name}`] : []), ...(flag.char ? [flag.char] : [])]
        for (const spelling of spellings) {
          if (!mentionsFlag(own, spelling) && !mentionsFlag(common, spelling)) missing.push(`${title}: Fl ${spelling}`)
        }
      }
    }
    assert.ok(Object.keys(manifest.commands).length >= 15, 'the manifest lists the commands')
    assert.deepEqual(missing, [], 'document these in man/tsez.8')
  })

  it('the test notices a flag the page does not name', () => {
    const page = '.Ss create\n.It Fl f , Fl -flavour Ar flavour\n.Ss Common options\n.It Fl -json\n'
    const sections = subsections(page)
    assert.ok(mentionsFlag(sections.get('create')!, '-flavour'))
    assert.ok(mentionsFlag(sections.get('create')!, 'f'))
    assert.ok(!mentionsFlag(sections.get('create')!, '-rootdir'))
    assert.ok(!mentionsFlag(sections.get('create')!, '-json'), 'only in Common options')
    assert.ok(!mentionsFlag(sections.get('create')!, '-flav'), 'a whole word')
  })

  it('tsez.conf.5 describes every key tsez.conf knows', async () => {
    const sources = (await read('src/config.ts')) + (await read('src/config-features.ts'))
    const keys = [...new Set([...sources.matchAll(/\['(tsez_[a-z_]+)', '/g)].map((m) => m[1]!))]
    assert.ok(keys.length >= 23, `found the defaults tables (${keys.length} keys)`)
    // Each key found is one the parser knows: it takes it without an "unknown key" warning.
    const warnings: string[] = []
    parseConfigText(keys.map((key) => `${key}=""`).join('\n'), 'keys', (w) => warnings.push(w))
    assert.deepEqual(warnings, [])
    const page = await read('man/tsez.conf.5')
    const documented = new Set([...page.matchAll(/^\.It Va (tsez_[a-z_]+)$/gm)].map((m) => m[1]!))
    assert.deepEqual(
      keys.filter((key) => !documented.has(key)),
      [],
      'document these in man/tsez.conf.5',
    )
    assert.deepEqual(
      [...documented].filter((key) => !keys.includes(key)),
      [],
      'man/tsez.conf.5 names keys tsez.conf does not have',
    )
  })

  it('mandoc -Tlint finds nothing at warning level or above', async function () {
    const lint = promisify(execFile)
    const pages = ['man/tsez.8', 'man/tsez.conf.5'].map((page) => path.join(packageRoot, page))
    const result = await lint('mandoc', ['-Tlint', '-W', 'warning', ...pages]).catch(
      (error: {code?: unknown; stdout?: string; stderr?: string}) => error,
    )
    // mandoc is not installed here: .ci/run installs it (Debian package mandoc).
    if ('code' in result && result.code === 'ENOENT') this.skip()
    const {stdout, stderr} = result as {stdout: string; stderr: string}
    assert.equal(stdout + stderr, '')
  })
})
