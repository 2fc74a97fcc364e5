// Every command in oclif.manifest.json: its --json output, on success and on failure, valid against schema/ID.json.
import {Ajv2020, type ValidateFunction} from 'ajv/dist/2020.js'
import assert from 'node:assert/strict'
import {existsSync, readFileSync, readdirSync} from 'node:fs'
import {mkdir, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {packageRoot, tsez, type CliResult} from '../support/cli.js'
import {createInstalledHost, type InstalledHost} from '../support/installed-host.js'
import {installArgs} from '../support/test-host.js'
import {useZfs} from '../support/zfs-host.js'

const schemaDir = path.join(packageRoot, 'schema')
const manifest = JSON.parse(readFileSync(path.join(packageRoot, 'oclif.manifest.json'), 'utf8')) as {
  commands: Record<string, {hidden?: boolean}>
}
/** The commands a user sees: hidden ones (shell completion's helper) are not part of the output contract. */
const commandIds = Object.entries(manifest.commands)
  .filter(([, command]) => command.hidden !== true)
  .map(([id]) => id)
  .sort()

/** schema/import-ezjail.json for `import:ezjail`. */
const schemaFile = (id: string) => path.join(schemaDir, `${id.replaceAll(':', '-')}.json`)

/** What each command is run with: argv for a success and for a failure (both with --json), in this order. */
interface JsonCase {
  success: (host: InstalledHost, scratch: string) => string[]
  failure: string[]
}

/** In the order they run: create makes web2, which the next ones use; restore brings back archive's web2 as web3. */
const CASES: Record<string, JsonCase> = {
  create: {success: () => ['create', 'web2', '10.0.0.6'], failure: ['create', 'web2']},
  list: {success: () => ['list'], failure: ['list', '--bogus']},
  config: {success: () => ['config', 'web2', '--hostname', 'w2'], failure: ['config', 'nosuch', '--norun']},
  start: {success: () => ['start', 'web2'], failure: ['start', '-p', '0']},
  restart: {success: () => ['restart', 'web2'], failure: ['restart', '--parallel=x']},
  console: {success: () => ['console', '-e', 'true', 'web2'], failure: ['console']},
  stop: {success: () => ['stop', 'web2'], failure: ['stop', 'nosuch']},
  snapshot: {success: () => ['snapshot', 'web2', 's1'], failure: ['snapshot', 'web2', '-bad']},
  snapshots: {success: () => ['snapshots', 'web2'], failure: ['snapshots']},
  rollback: {success: () => ['rollback', 'web2', 's1'], failure: ['rollback', 'web2', 'nosuch']},
  limits: {success: () => ['limits', 'web2'], failure: ['limits', 'nosuch']},
  freeze: {success: () => ['freeze', '-n', 'web2', 'frozen'], failure: ['freeze', 'web2']},
  clone: {success: () => ['clone', 'web2', 'web4', '10.0.0.8'], failure: ['clone', 'web2', 'web5', '10.0.0.6']},
  archive: {success: (_, scratch) => ['archive', '-d', scratch, 'web2'], failure: ['archive', '-c', 'lz4', 'web2']},
  restore: {
    success: (_, scratch) => ['restore', '--name', 'web3', '--ip', '10.0.0.9', archiveIn(scratch)],
    failure: ['restore', '/nonexistent.tsez.tar.xz'],
  },
  delete: {success: () => ['delete', 'web3'], failure: ['delete', 'nosuch']},
  doctor: {success: () => ['doctor'], failure: ['doctor', 'extra']},
  install: {success: (host) => installArgs(host, '-n', '--force'), failure: ['install', '-r', 'not-a-release']},
  update: {success: () => ['update', '-u', '-n'], failure: ['update', '-U']},
  'import:ezjail': {success: () => ['import', 'ezjail', '--undo', '-n'], failure: ['import', 'ezjail', '--bogus']},
  'import:jail-conf': {
    success: (_, scratch) => ['import', 'jail-conf', '-n', path.join(scratch, 'jail.conf')],
    failure: ['import', 'jail-conf', '/nonexistent/jail.conf'],
  },
}

function archiveIn(dir: string): string {
  const file = readdirSync(dir).find((name) => name.endsWith('.tsez.tar.xz'))
  assert.ok(file !== undefined, `archive wrote no archive in ${dir}`)
  return path.join(dir, file)
}

/** The validator of schema/ID.json (with FRAGMENT: of a definition in it). */
function validator(ajv: Ajv2020, id: string, fragment = ''): ValidateFunction {
  const validate = ajv.getSchema(`https://tsez.invalid/schema/${id.replaceAll(':', '-')}.json${fragment}`)
  assert.ok(validate !== undefined, `no schema for ${id}`)
  return validate
}

function parsed(result: CliResult, argv: string[]): unknown {
  try {
    return JSON.parse(result.stdout)
  } catch {
    assert.fail(`tsez ${argv.join(' ')} printed no JSON on stdout (exit ${result.exitCode}): ${result.stderr}`)
  }
}

function assertValid(validate: ValidateFunction, output: unknown, argv: string[]): void {
  const valid = validate(output)
  const problems = JSON.stringify(validate.errors, null, 1)
  assert.ok(valid, `tsez ${argv.join(' ')}: ${problems}\n${JSON.stringify(output, null, 1)}`)
}

describe('--json output against schema/*.json', function () {
  this.timeout(240_000)
  let host: InstalledHost
  let scratch: string
  const ajv = new Ajv2020({allErrors: true, strict: true})
  for (const file of readdirSync(schemaDir).filter((name) => name.endsWith('.json')))
    ajv.addSchema(JSON.parse(readFileSync(path.join(schemaDir, file), 'utf8')) as object)

  before(async () => {
    // On ZFS, so that snapshot, snapshots and rollback have a dataset to work on.
    host = await useZfs(await createInstalledHost())
    scratch = path.join(host.root, 'scratch')
    await mkdir(scratch)
    await mkdir(path.join(scratch, 'j1'))
    const conf = `j1 {\n  path = "${scratch}/j1";\n  host.hostname = j1;\n  ip4.addr = 10.0.0.20;\n}\n`
    await writeFile(path.join(scratch, 'jail.conf'), conf)
  })
  after(() => host.cleanup())

  it('every command in oclif.manifest.json has a schema file and a case here', () => {
    const missing = commandIds.filter((id) => !existsSync(schemaFile(id)) || !(id in CASES))
    assert.deepEqual(missing, [], 'commands without schema/ID.json or a case in this test')
  })

  // Cases run in CASES' order; a case for a command the manifest does not (yet) list is left out.
  for (const [id, {success, failure}] of Object.entries(CASES).filter(([id]) => commandIds.includes(id))) {
    it(`${id}: success and failure outputs are valid`, async () => {
      const validate = validator(ajv, id)
      const argv = [...success(host, scratch), '--json']
      const done = await tsez(argv, host.env)
      const output = parsed(done, argv)
      assertValid(validate, output, argv)
      assert.ok(!('error' in (output as object)), `tsez ${argv.join(' ')} failed: ${done.stdout}`)
      const failing = [...failure, '--json']
      const failed = await tsez(failing, host.env)
      const error = parsed(failed, failing) as {error?: {exitCode?: number}}
      assertValid(validate, error, failing)
      assert.ok(error.error !== undefined, `tsez ${failing.join(' ')} did not fail: ${failed.stdout}`)
      assert.equal(failed.exitCode, error.error.exitCode)
      assert.equal(failed.stderr, '', 'nothing on stderr under --json')
    })
  }

  it('update --rollback: its output (action "rollback") is valid', async () => {
    const argv = ['update', '--rollback', '-n', '--json']
    const output = parsed(await tsez(argv, host.env), argv)
    assertValid(validator(ajv, 'update'), output, argv)
    assert.equal((output as {action?: string}).action, 'rollback')
  })

  it('a change made when jls then fails: exit 0, the jail shown with state unknown; list fails', async () => {
    host.fake.set('jls.fail', 'sysctl security.jail.list: Operation not permitted')
    try {
      const argv = ['create', 'web6', '10.0.0.11', '--json']
      const created = await tsez(argv, host.env)
      const output = parsed(created, argv) as {jail: {name: string; state: string; jid: unknown}}
      assertValid(validator(ajv, 'create'), output, argv)
      assert.equal(created.exitCode, 0, created.stdout)
      assert.deepEqual([output.jail.name, output.jail.state, output.jail.jid], ['web6', 'unknown', null])
      assert.match(
        created.stderr,
        /^tsez: warning: jls failed, so the state shown is unknown \(what was done stands\): /,
      )
      assert.match(created.stderr, /Operation not permitted/)
      assert.equal(created.stderr.split('\n').filter(Boolean).length, 1, created.stderr)
      const listed = await tsez(['list', '--json'], host.env)
      assert.equal(listed.exitCode, 1, 'list shows the state: without jls it fails')
      assertValid(validator(ajv, 'list'), parsed(listed, ['list']), ['list'])
    } finally {
      host.fake.unset('jls.fail')
    }
    const listed = parsed(await tsez(['list', '--json'], host.env), ['list']) as {jails: Array<{name: string}>}
    assert.ok(
      listed.jails.some((jail) => jail.name === 'web6'),
      'the jail was made',
    )
  })

  it('an unknown command under --json: the error object, exit 2', async () => {
    const result = await tsez(['bogus', '--json'], host.env)
    assertValid(validator(ajv, 'common', '#/$defs/errorOutput'), parsed(result, ['bogus']), ['bogus'])
    assert.equal(result.exitCode, 2)
  })
})
