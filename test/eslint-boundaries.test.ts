// The import boundaries of eslint.boundaries.js fire on planted violations and are part of the project's lint config.
import assert from 'node:assert/strict'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {ESLint, type Linter} from 'eslint'
import tseslint from 'typescript-eslint'

// @ts-expect-error -- a plain-JS config module without type declarations
import {boundaries, FLOORS, VERBS} from '../eslint.boundaries.js'

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)))

const linter = new ESLint({
  cwd: root,
  overrideConfigFile: true,
  overrideConfig: [
    {files: ['**/*.ts'], languageOptions: {parser: tseslint.parser}},
    ...(boundaries as Linter.Config[]),
  ],
})

/** The boundary messages ESLint gives for CODE written at FILE (relative to the project root). */
async function violations(file: string, code: string): Promise<string[]> {
  const [result] = await linter.lintText(code, {filePath: path.join(root, file)})
  return (result?.messages ?? []).map((message) => `${message.ruleId}: ${message.message}`)
}

describe('eslint boundaries', () => {
  it('refuses a verb importing another verb, and names the way out', async () => {
    const found = await violations('src/delete/planted.ts', "import {planCreate} from '../create/plan.js'\n")
    assert.equal(found.length, 1)
    assert.match(found[0] ?? '', /^no-restricted-imports: .*src\/delete is a verb: it imports shared floors/)
  })

  it('refuses every verb importing every other verb or src/cli', async () => {
    for (const verb of VERBS as string[]) {
      for (const other of [...(VERBS as string[]), 'cli'].filter((name) => name !== verb)) {
        const found = await violations(`src/${verb}/planted.ts`, `import {x} from '../${other}/service.js'\n`)
        assert.equal(found.length, 1, `${verb} -> ${other}`)
      }
    }
  })

  it('lets verbs import every floor and the ground files', async () => {
    const imports = [...Object.keys(FLOORS as Record<string, string[]>).map((floor) => `../${floor}/x.js`)]
    const code = [...imports, '../config.js', '../errors.js'].map((from, i) => `import {a${i}} from '${from}'\n`)
    assert.deepEqual(await violations('src/create/planted.ts', code.join('')), [])
  })

  it('refuses a floor importing a verb, src/cli or a floor above it', async () => {
    assert.equal((await violations('src/jail/planted.ts', "import {x} from '../create/plan.js'\n")).length, 1)
    assert.equal((await violations('src/dist/planted.ts', "import {x} from '../install/plan.js'\n")).length, 1)
    assert.equal((await violations('src/system/planted.ts', "import {x} from '../jail/store.js'\n")).length, 1)
    assert.equal((await violations('src/jail/planted.ts', "import {x} from '../cli/base-command.js'\n")).length, 1)
    assert.deepEqual(await violations('src/etc/planted.ts', "import {x} from '../base/install-record.js'\n"), [])
  })

  it('keeps the ground files free of folders', async () => {
    assert.equal((await violations('src/errors.ts', "import {x} from './system/runner.js'\n")).length, 1)
  })

  it('keeps oclif in src/cli and commands/, execa in src/system, listr2 and ora in src/ui', async () => {
    const oclif = "import {Flags} from '@oclif/core'\n"
    assert.match((await violations('src/run/planted.ts', oclif))[0] ?? '', /only src\/cli and commands\/ talk to oclif/)
    assert.equal((await violations('src/jail/planted.ts', oclif)).length, 1)
    assert.deepEqual(await violations('src/cli/planted.ts', oclif), [])
    assert.deepEqual(await violations('commands/planted.ts', oclif), [])
    assert.equal((await violations('src/update/planted.ts', "import {Listr} from 'listr2'\n")).length, 1)
    assert.equal((await violations('commands/planted.ts', "import ora from 'ora'\n")).length, 1)
    assert.equal((await violations('src/create/planted.ts', "import {execa} from 'execa'\n")).length, 1)
    assert.deepEqual(await violations('src/ui/planted.ts', "import {Listr} from 'listr2'\n"), [])
    assert.deepEqual(await violations('src/system/planted.ts', "import {execa} from 'execa'\n"), [])
  })

  it('is part of the configuration npm test lints with', async () => {
    const project = new ESLint({cwd: root})
    const config = (await project.calculateConfigForFile(path.join(root, 'src/create/service.ts'))) as Linter.Config
    const [severity, options] = config.rules?.['no-restricted-imports'] as [number, unknown]
    const createBlock = (boundaries as Linter.Config[]).find((block) => block.files?.includes('src/create/**/*.ts'))
    const planted = createBlock?.rules?.['no-restricted-imports'] as [string, unknown]
    assert.equal(severity, 2)
    assert.deepEqual(options, planted[1])
  })
})
