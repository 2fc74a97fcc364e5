import assert from 'node:assert/strict'

import {readShAssignments} from '../../src/jail/sh-assignments.js'

describe('readShAssignments', () => {
  const values = (text: string, initial?: Map<string, string>) => {
    const read = readShAssignments(text, initial)
    assert.deepEqual(read.problems, [])
    return Object.fromEntries(read.values)
  }
  const problem = (text: string) => readShAssignments(text).problems[0]

  it('reads the forms ezjail and admins write: export, quotes, bare words, comments after the value', () => {
    const text = [
      '# PROVIDE: web',
      'export a="one two"',
      'b=\'$literal "x"\'',
      'c=bare',
      'export c',
      '  d="x" # trailing comment',
      'e=""',
      'f="a\\"b\\$c\\\\d\\e"',
      'g=x"y"\'z\'',
    ].join('\n')
    assert.deepEqual(values(text), {
      a: 'one two',
      b: '$literal "x"',
      c: 'bare',
      d: 'x',
      e: '',
      f: 'a"b$c\\d\\e',
      g: 'xyz',
    })
    assert.deepEqual(readShAssignments(text).comments, [' PROVIDE: web'])
  })

  it('expands $NAME and ${NAME} from earlier lines and the defaults it is given, as sh would', () => {
    const initial = new Map([['root', '/usr']])
    assert.deepEqual(values('a=$root/jails\nb="${a}/newjail"\nc=$a$b', initial), {
      a: '/usr/jails',
      b: '/usr/jails/newjail',
      c: '/usr/jails/usr/jails/newjail',
    })
  })

  it('later assignments win, in the order first assigned', () => {
    const read = readShAssignments('a=1\nb=2\na=3')
    assert.deepEqual(
      [...read.values],
      [
        ['a', '3'],
        ['b', '2'],
      ],
    )
  })

  const refused: Array<[string, RegExp]> = [
    ['a="$(id)"', /command substitution/],
    ['a=$(id)', /command substitution/],
    ['a="`id`"', /command substitution/],
    ['a=`id`', /"`" outside quotes/],
    ['a=1; id', /";" outside quotes/],
    ['a=1 && id', /only one value may follow "=", found "&& id"/],
    ['a=1 | id', /only one value may follow/],
    ['a=x>/etc/passwd', /">" outside quotes/],
    ['a="${b:-x}"', /only \$NAME and \$\{NAME\}/],
    ['a="$1"', /not a variable tsez can read/],
    ['a="$undefined"', /\$undefined is not set earlier/],
    ['a="open', /double quote is not closed/],
    ["a='open", /single quote is not closed/],
    ['a=one two', /only one value may follow "="/],
    ['a=x\\', /continues onto the next/],
    ['id', /cannot read "id" without running it/],
    ['. /etc/other', /cannot read/],
    ['if true; then a=1; fi', /cannot read/],
    ['f() { id; }', /cannot read/],
    ['1a=x', /cannot read/],
  ]
  for (const [text, message] of refused) {
    it(`refuses ${JSON.stringify(text)} naming its line`, () => {
      const found = problem(`# ok\n${text}`)
      assert.equal(found?.line, 2)
      assert.match(found?.message ?? '', message)
    })
  }
})
