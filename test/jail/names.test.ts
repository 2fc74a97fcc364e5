// Tests for jail-name rules: mapping NAME to a jail name, and every rule validateJailName enforces.
import assert from 'node:assert/strict'

import {jailNameFor, MAX_NAME_LENGTH, validateJailName} from '../../src/jail/names.js'

const reserved = ['basejail', 'newjail', 'flavours', 'tsez_archives']
const none = {existing: [], reserved}

/** The problems for NAME, asserting there is exactly one and that it mentions every fragment. */
function oneProblem(name: string, fragments: string[], existing: string[] = []): string {
  const problems = validateJailName(name, {existing, reserved})
  assert.equal(problems.length, 1, `expected one problem for ${JSON.stringify(name)}, got ${JSON.stringify(problems)}`)
  const [problem = ''] = problems
  for (const fragment of fragments)
    assert.ok(problem.includes(fragment), `${JSON.stringify(problem)} lacks ${fragment}`)
  assert.ok(!problem.includes('\n'), 'problems are one line')
  return problem
}

describe('jail/names', () => {
  describe('jailNameFor', () => {
    it('turns every character outside [A-Za-z0-9_] into "_"', () => {
      assert.equal(jailNameFor('www.example.com'), 'www_example_com')
      assert.equal(jailNameFor('build-14_amd64'), 'build_14_amd64')
      assert.equal(jailNameFor('Web01'), 'Web01')
      assert.equal(jailNameFor('a/b c'), 'a_b_c')
    })
  })

  describe('accepted names', () => {
    for (const name of [
      'www',
      'www.example.com',
      'WWW.Example.COM',
      'build_14-amd64',
      'a',
      '_',
      '1www',
      'db1.internal',
      'x'.repeat(63) + '.example.org',
      'a'.repeat(MAX_NAME_LENGTH),
      'mail-1.example.co.uk',
    ]) {
      it(`accepts ${JSON.stringify(name.length > 40 ? `${name.slice(0, 20)}…` : name)}`, () => {
        assert.deepEqual(validateJailName(name, none), [])
      })
    }
  })

  describe('refused names', () => {
    it('refuses the empty name', () => {
      assert.deepEqual(validateJailName('', none), ['jail name is empty'])
    })

    it('refuses names over 200 characters', () => {
      oneProblem('a'.repeat(201), ['201 characters', 'limit is 200'])
    })

    it('refuses all-digit names, which jail(8) would read as a jail ID', () => {
      oneProblem('123', ['all digits', 'jail ID'])
      oneProblem('0', ['all digits'])
    })

    it('refuses characters a hostname can never hold instead of mapping them', () => {
      oneProblem('my jail', ['a space'])
      oneProblem('x\ny', ['control character U+000A'])
      oneProblem('tab\there', ['U+0009'])
      oneProblem('quote"d', ['"\\""'])
      oneProblem("it's", [`"'"`])
      oneProblem('a/b', ['"/"'])
      oneProblem('../etc', ['"/"'])
      oneProblem('$HOME', ['"$"'])
      oneProblem('café', ['U+00E9'])
      oneProblem('a|b', ['"|"'])
    })

    it('lists each offending character once', () => {
      const problem = oneProblem('a b c/d', ['a space', '"/"'])
      assert.equal(problem.split('a space').length, 2)
    })

    it('refuses empty hostname labels ("..", leading or trailing dots)', () => {
      oneProblem('a..b', ['empty label'])
      oneProblem('.www', ['empty label'])
      oneProblem('www.', ['empty label'])
      oneProblem('..', ['empty label'])
    })

    it('refuses hostname labels longer than 63 characters', () => {
      oneProblem(`${'x'.repeat(64)}.example.org`, ['longer than 63'])
    })

    it('refuses hostname labels that start or end with "-"', () => {
      oneProblem('-www.example.com', ['starts or ends with "-"'])
      oneProblem('www-.example.com', ['"www-"'])
    })

    it('refuses "_" inside a dotted hostname', () => {
      oneProblem('my_host.example.com', ['"my_host"', 'contains "_"'])
    })

    it('refuses dotted names that look like IP addresses', () => {
      oneProblem('10.0.0.5', ['all digits', 'IP address'])
      oneProblem('host.123', ['"123"'])
    })

    it('refuses plain names starting with "-", which tools would take for an option', () => {
      oneProblem('-rf', ['starts with "-"', 'option'])
    })

    it('refuses reserved names, compared after mapping and case-sensitively', () => {
      oneProblem('basejail', ['reserved', '"basejail"'])
      oneProblem('tsez-archives', ['reserved', '"tsez_archives"'])
      assert.deepEqual(validateJailName('Basejail', none), [])
    })

    it('refuses a name an existing jail has', () => {
      oneProblem('www', ['a jail named "www" already exists'], ['www'])
    })

    it('refuses a name that collides with an existing jail after mapping, naming that jail', () => {
      oneProblem('www-example.com', ['"www_example_com"', 'existing jail "www.example.com"'], ['www.example.com'])
      oneProblem('www.example.com', ['existing jail "www_example_com"'], ['www_example_com'])
      assert.deepEqual(validateJailName('www.example.org', {existing: ['www.example.com'], reserved}), [])
    })

    it('reports every rule broken, not just the first', () => {
      const problems = validateJailName('basejail', {existing: ['basejail'], reserved})
      assert.equal(problems.length, 2)
    })

    it('keeps problem messages short and on one line for huge or multi-line names', () => {
      const [problem = ''] = validateJailName(`${'y'.repeat(500)}\n`, none)
      assert.ok(problem.length < 300, problem)
      assert.ok(!problem.includes('\n'))
    })
  })
})
