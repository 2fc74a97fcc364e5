// Tests for parseJailConf against jail(8)'s own rules (usr.sbin/jail/jaillex.l, jailparse.y, config.c).
import assert from 'node:assert/strict'

import {type JailConfFile, parseJailConf, type ParseJailConfOptions} from '../../src/jail/conf-parse.js'

/** Every jail in TEXT as [name, parameters] pairs, for deepEqual. */
function jails(text: string, options?: ParseJailConfOptions): Array<[string, Record<string, string[] | true>]> {
  return parseJailConf(text, options).map((jail) => [jail.name, Object.fromEntries(jail.params)])
}

/** The parameters of the one jail named NAME in TEXT. */
function paramsOf(text: string, name = 'j', options?: ParseJailConfOptions): Record<string, string[] | true> {
  const found = jails(text, options).filter(([jailName]) => jailName === name)
  assert.equal(found.length, 1, `one jail ${name} in ${JSON.stringify(text)}`)
  return found[0]?.[1] ?? {}
}

/** Asserts TEXT is refused with a SyntaxError whose message matches PATTERN (which names the line). */
function refused(text: string, pattern: RegExp, options?: ParseJailConfOptions): void {
  assert.throws(
    () => parseJailConf(text, options),
    (e: unknown) => e instanceof SyntaxError && pattern.test(e.message),
    text,
  )
}

/** An include resolver over FILES (name to text) that expands a trailing `*.conf` and records each pattern. */
function resolver(files: Record<string, string>, patterns: string[] = []): (pattern: string) => JailConfFile[] {
  return (pattern) => {
    patterns.push(pattern)
    const directory = pattern.slice(0, -'*.conf'.length)
    const names = pattern.endsWith('*.conf')
      ? Object.keys(files)
          .filter((name) => name.startsWith(directory) && /^[^/]*\.conf$/.test(name.slice(directory.length)))
          .sort()
      : Object.keys(files).filter((name) => name === pattern)
    return names.map((name) => ({name, text: files[name] ?? ''}))
  }
}

describe('jail/conf-parse', () => {
  describe('globals and wildcards (config.c load_config)', () => {
    it("lets a jail's own parameter beat globals written before and after its block", () => {
      assert.deepEqual(paramsOf('path=/b; foo{path=/a;} path=/c;', 'foo'), {path: ['/a']})
    })

    it('places all globals where the first one is written, so globals that all come after a jail win', () => {
      assert.deepEqual(paramsOf('foo { path = /a; } path = /c;', 'foo'), {path: ['/c']})
      assert.deepEqual(paramsOf('$v = a; j { x = "$v"; } $v = b;'), {x: ['b']})
    })

    it('applies a "*" block before the jail as defaults and one after it as overrides', () => {
      const text = '* { path = /default; persist; } j { path = /own; host.hostname = own; } * { host.hostname = last; }'
      assert.deepEqual(paramsOf(text), {path: ['/own'], persist: true, 'host.hostname': ['last']})
    })

    it('matches "foo.*" to every descendant of foo, and a middle "*" to exactly one component', () => {
      const text = [
        '"foo.*" { persist; }',
        '"*.web" { allow.raw_sockets; }',
        'foo { } "foo.bar" { } "foo.bar.baz" { } "a.web" { } "a.b.web" { } web { }',
      ].join('\n')
      assert.deepEqual(jails(text), [
        ['foo', {}],
        ['foo.bar', {persist: true}],
        ['foo.bar.baz', {persist: true}],
        ['a.web', {'allow.raw_sockets': true}],
        ['a.b.web', {}],
        ['web', {}],
      ])
    })

    it('keeps a jail defined twice as two jails, as jail(8) does', () => {
      assert.deepEqual(jails('j { a = 1; } j { b = 2; }'), [
        ['j', {a: ['1']}],
        ['j', {b: ['2']}],
      ])
    })

    it('returns no jail for a file of wildcards only', () => {
      assert.deepEqual(jails('path = /x; * { persist; } "a.*" { }'), [])
    })
  })

  describe('hierarchical names (jailparse.y jail_name)', () => {
    it('names a nested block parent.child and keeps parameters after it in the parent', () => {
      assert.deepEqual(jails('foo {\n  a = 1;\n  bar { b = 2; baz { c = 3; } }\n  d = 4;\n}'), [
        ['foo', {a: ['1'], d: ['4']}],
        ['foo.bar', {b: ['2']}],
        ['foo.bar.baz', {c: ['3']}],
      ])
    })

    it('treats a nested "*" block as the wildcard foo.*', () => {
      assert.deepEqual(jails('foo { * { persist; } bar { } } other { }'), [
        ['foo', {}],
        ['foo.bar', {persist: true}],
        ['other', {}],
      ])
    })

    it('reports where each jail block opens', () => {
      const [foo, bar] = parseJailConf('\nfoo {\n  bar\n  {\n  }\n}', {fileName: '/etc/jail.conf'})
      assert.deepEqual([foo?.file, foo?.line, bar?.name, bar?.line], ['/etc/jail.conf', 2, 'foo.bar', 4])
    })
  })

  describe('parameters (config.c add_param, equalopts)', () => {
    it('replaces on "=", appends on "+=", and creates with "+=", across wildcards and the jail', () => {
      const text = 'ip4.addr = 10.0.0.1; j { ip4.addr += 10.0.0.2, 10.0.0.3; ip6.addr += ::1; path = /a; path = /b; }'
      assert.deepEqual(paramsOf(text), {
        'ip4.addr': ['10.0.0.1', '10.0.0.2', '10.0.0.3'],
        'ip6.addr': ['::1'],
        path: ['/b'],
      })
      assert.deepEqual(paramsOf('j { a = 1; a += 2; a = 3; a += 4; }'), {a: ['3', '4']})
    })

    it('merges no-prefixed spellings, the later one winning under its own name', () => {
      assert.deepEqual(paramsOf('allow.mount; j { allow.nomount; }'), {'allow.nomount': true})
      assert.deepEqual(paramsOf('j { allow.nomount; allow.mount = 1; }'), {'allow.mount': ['1']})
      assert.deepEqual(paramsOf('j { noallow.mount; allow.mount; }'), {'allow.mount': true})
      assert.deepEqual(paramsOf('j { persist; nopersist; }'), {nopersist: true})
    })

    it('reads lists in all three assignment forms, quoted or not', () => {
      assert.deepEqual(paramsOf(`j { a = 1, "2", '3'; b 4, 5; c += 6,7; d = ""; }`), {
        a: ['1', '2', '3'],
        b: ['4', '5'],
        c: ['6', '7'],
        d: [''],
      })
    })

    it('implies jid from a numeric name and refuses to redefine name or jid', () => {
      assert.deepEqual(paramsOf('5 { name = web; }', '5'), {name: ['web']})
      refused('5 {\n  jid = 6;\n}', /line 2: jail 5: cannot redefine parameter "jid"/)
      refused('j { name = k; }', /line 1: jail j: cannot redefine parameter "name"/)
    })
  })

  describe('variables (config.c load_config)', () => {
    it('substitutes $name, ${name} and other parameters per jail, in bare words and double quotes', () => {
      const text =
        'path = "/var/jail/$name"; a { host.hostname = ${name}.example.org; } b { exec.start = "x${path}y"; }'
      assert.deepEqual(jails(text), [
        ['a', {path: ['/var/jail/a'], 'host.hostname': ['a.example.org']}],
        ['b', {path: ['/var/jail/b'], 'exec.start': ['x/var/jail/by']}],
      ])
    })

    it("lets a jail's own variable beat a global one, and resolves variables after merging", () => {
      const text = '$dir = /g; a { $dir = /a; path = "$dir/x"; } b { path = "$dir/x"; }'
      assert.deepEqual(jails(text), [
        ['a', {path: ['/a/x']}],
        ['b', {path: ['/g/x']}],
      ])
      assert.deepEqual(paramsOf('j { path = "$d"; $d = "$e/z"; $e = /y; }'), {path: ['/y/z']})
    })

    it('leaves $ literal in single quotes, escaped, or not followed by a name', () => {
      assert.deepEqual(paramsOf(`j { a = '$x'; b = \\$x; c = "\\$x"; d = "a$"; e = $1; f = "$"; }`), {
        a: ['$x'],
        b: ['$x'],
        c: ['$x'],
        d: ['a$'],
        e: ['$1'],
        f: ['$'],
      })
    })

    it('expands a list variable only when it is the whole string', () => {
      assert.deepEqual(paramsOf('$ips = 10.0.0.1, 10.0.0.2; j { ip4.addr = "$ips", 10.0.0.3; }'), {
        'ip4.addr': ['10.0.0.1', '10.0.0.2', '10.0.0.3'],
      })
      refused('$l = a, b;\nj { x = "$l/"; }', /line 2: jail j: x: array cannot be substituted inline/)
      refused('$l = a, b; $s = c;\nj { x = "$l$s"; }', /line 2: jail j: x: array cannot be substituted inline/)
    })

    it('refuses unknown variables, valueless ones, loops, and variables named like parameters', () => {
      refused('j {\n  path = "/x/$nope";\n}', /line 2: jail j: path: variable "nope" not found/)
      refused('j { persist; x = $persist; }', /line 1: jail j: x: variable "persist" not found/)
      refused('j {\n$a = "$b";\n$b = $a;\n}', /line 3: jail j: a: variable loop/)
      refused('j { $unused = "$nope"; }', /variable "nope" not found/)
      refused('$path = /x;\nj { }', /line 1: jail j: variable "\$path" cannot have the same name as a parameter/)
      refused('$a = 1; j { a = 2; }', /variable "\$a" cannot have the same name as a parameter/)
    })
  })

  describe('.include (jailparse.y special_param, config.c include_config)', () => {
    const files = {
      '/etc/jail.conf.d/a.conf': 'a { path = /a; }\n.include "more/*.conf";',
      '/etc/jail.conf.d/b.conf': 'b { }',
      '/etc/jail.conf.d/more/c.conf': 'c { }',
      '/etc/inner.conf': 'persist;\nsub { }',
    }

    it('reads included files at the directive, relative to the including file, globs matching in order', () => {
      const patterns: string[] = []
      const text = 'first { }\n.include "jail.conf.d/*.conf";\nlast { }'
      const options = {fileName: '/etc/jail.conf', include: resolver(files, patterns)}
      assert.deepEqual(
        jails(text, options).map(([name]) => name),
        ['first', 'a', 'c', 'b', 'last'],
      )
      assert.deepEqual(patterns, ['/etc/jail.conf.d/*.conf', '/etc/jail.conf.d/more/*.conf'])
    })

    it('puts what an include inside a block defines into that block', () => {
      assert.deepEqual(jails('j { .include "/etc/inner.conf"; }', {include: resolver(files)}), [
        ['j', {persist: true}],
        ['j.sub', {}],
      ])
    })

    it('accepts a glob matching nothing but not a missing plain file', () => {
      assert.deepEqual(jails('.include "/none/*.conf"; j { }', {include: resolver(files)}), [['j', {}]])
      refused('\n.include "/etc/missing.conf";', /jail.conf line 2: \.include "\/etc\/missing.conf": no such file/, {
        include: resolver(files),
      })
    })

    it('needs a resolver, refuses variables in the name, and stops include loops', () => {
      refused('j { }\n.include "/etc/jail.conf.d/*.conf";', /line 2: \.include .* needs an include resolver/)
      refused('$d = /etc; .include "$d/x.conf";', /variables not permitted in '\.include' filename/, {
        include: resolver(files),
      })
      refused('.include "/loop.conf";', /\/loop.conf line 1: maximum include depth exceeded/, {
        include: resolver({'/loop.conf': '.include "/loop.conf";'}),
      })
    })

    it('treats .include written with "=" as an ordinary parameter, as jail(8) does', () => {
      assert.deepEqual(paramsOf('j { .include = x; }'), {'.include': ['x']})
    })

    it('names the included file and its line in errors', () => {
      refused('.include "/etc/bad.conf";', /^\/etc\/bad.conf line 3: expected ";"/, {
        include: resolver({'/etc/bad.conf': 'j {\n  a = 1\n}'}),
      })
    })
  })

  describe('lexing (jaillex.l)', () => {
    it('skips all three comment kinds, which also end a word', () => {
      const text = [
        '/* a C comment',
        '   over lines { } ; */',
        'j { // C++ { comment',
        '  a = x#shell comment ;',
        '  ;',
        '  b = "in # quotes // stays /* too */";',
        '}',
      ].join('\n')
      assert.deepEqual(paramsOf(text), {a: ['x'], b: ['in # quotes // stays /* too */']})
    })

    it('separates the words on either side of a C comment', () => {
      refused('j { a = x/* c */y; }', /line 1: expected ";", found a string/)
    })

    it('starts a comment at "//" even inside an unquoted path, as jail(8) does', () => {
      refused('j {\n  path = /a//b;\n}', /line 3: expected ";"/)
    })

    it('joins pieces written without whitespace, and decodes escapes in both quote kinds', () => {
      assert.deepEqual(
        paramsOf(`j { a = /a/"b c"'d'\\ e; b = "\\t\\101\\x41\\x4a\\q\\""; c = '\\101\\''; d = "one \\\ntwo"; }`),
        {a: ['/a/b cd e'], b: ['\tAAJq"'], c: ["A'"], d: ['one two']},
      )
    })

    it('ends a string at an escaped NUL, as C does, and reads UTF-8 escapes', () => {
      assert.deepEqual(paramsOf('j { a = "ab\\0cd"ef; b = "x\\x"; c = "\\303\\251t\\303\\251"; }'), {
        a: ['abef'],
        b: ['x'],
        c: ['été'],
      })
      refused('j {\n  a = "\\377";\n}', /line 2: escapes that do not make UTF-8 text/)
    })

    it('spans quoted strings over lines and counts those lines', () => {
      assert.deepEqual(paramsOf('j { a = "1\n2"; b = \'3\n4\'; }'), {a: ['1\n2'], b: ['3\n4']})
      refused('j { a = "1\n2"; b = \'3\n4\';\n c = 1 }', /line 4: expected ";"/)
    })

    it('reads the characters jail(8) allows in bare words', () => {
      assert.deepEqual(paramsOf('j { a = !%&()-.:<>?@[]^`|~_09Az*+/; }'), {a: ['!%&()-.:<>?@[]^`|~_09Az*+/']})
    })
  })

  describe('errors (jailparse.y grammar, jaillex.l complaints)', () => {
    const cases: Array<[string, RegExp]> = [
      ['j {\n  a = "open;\n}', /^jail\.conf line 2: unterminated string/],
      ["j {\n\n  a = 'open;\n}", /^jail\.conf line 3: unterminated string/],
      ['j { }\n/* open\n\n', /^jail\.conf line 2: unterminated comment/],
      ['j {\n  a = ${open\n}; }', /^jail\.conf line 2: unterminated variable/],
      ['j {\n  a = 1\n  b = 2;\n}', /^jail\.conf line 3: expected ";", found a string/],
      ['a = 1', /^jail\.conf line 1: expected ";", found the end of the file/],
      ['j {\n  a = 1;\n', /^jail\.conf line 1: jail "j": missing "}"/],
      ['j {\n  k {\n}', /^jail\.conf line 1: jail "j": missing "}"/],
      ['j { }\n}', /^jail\.conf line 2: "}" without a "{" to close/],
      ['j {\n  a = ;\n}', /^jail\.conf line 2: expected a value, found ";"/],
      ['j { a += ; }', /expected a value/],
      ['\nfoo.* { }', /^jail\.conf line 2: expected a jail name/],
      ['$v { }', /expected a jail name/],
      ['"a"b { }', /expected a jail name/],
      ['"a"b = 1;', /expected a parameter name/],
      ['j { = 1; }', /expected a parameter name \(one word or one quoted string\), found "="/],
      ['j { a = 1 { }', /expected ";", found "\{"/],
      ['j { a = é; }', /unexpected character "é"/],
      ['j { a = \\é; }', /unexpected character "é"/],
    ]
    for (const [text, pattern] of cases)
      it(`refuses ${JSON.stringify(text)}`, () => {
        refused(text, pattern)
      })

    it('names the file given in the options', () => {
      refused('j {', /^\/etc\/jail\.conf line 1: jail "j": missing "}"/, {fileName: '/etc/jail.conf'})
    })
  })

  describe('the reference example and everyday forms', () => {
    it('reads the example from the reference, comments and all', () => {
      const text = [
        '/* A C comment',
        ' * over lines */',
        'www1 { // the jail',
        '    path = "/usr/jails/www1";',
        '    host.hostname = "www1.example.org";   # shell comment',
        '    ip4.addr = "em0|192.0.2.11/32";',
        '    mount.devfs;',
        '    devfs_ruleset = 4;',
        '    exec.start = "/bin/sh /etc/rc";',
        '    allow.raw_sockets = 0;',
        '}',
      ].join('\n')
      assert.deepEqual(paramsOf(text, 'www1'), {
        path: ['/usr/jails/www1'],
        'host.hostname': ['www1.example.org'],
        'ip4.addr': ['em0|192.0.2.11/32'],
        'mount.devfs': true,
        devfs_ruleset: ['4'],
        'exec.start': ['/bin/sh /etc/rc'],
        'allow.raw_sockets': ['0'],
      })
    })

    it('reads bare tokens, single quotes, joined pieces, += and name-value forms', () => {
      const parsed = paramsOf(
        [
          'j {',
          '  path = /usr/jails/j;',
          "  exec.start = '';",
          "  exec.stop = 'no $subst in \\'single\\' quotes';",
          '  exec.poststart = /a/"b c"\'d\';',
          '  ip4.addr = 10.1.1.1, 10.1.1.2;',
          '  ip4.addr += 10.1.1.3;',
          '  host.domainname example.org;',
          '  ;',
          '}',
        ].join('\n'),
      )
      assert.deepEqual(parsed['path'], ['/usr/jails/j'])
      assert.deepEqual(parsed['exec.start'], [''])
      assert.deepEqual(parsed['exec.stop'], ["no $subst in 'single' quotes"])
      assert.deepEqual(parsed['exec.poststart'], ['/a/b cd'])
      assert.deepEqual(parsed['ip4.addr'], ['10.1.1.1', '10.1.1.2', '10.1.1.3'])
      assert.deepEqual(parsed['host.domainname'], ['example.org'])
    })

    it('decodes C-style escapes and line continuations', () => {
      const parsed = paramsOf('j { a = "t\\tn\\n\\101\\x42\\\\\\"\\$ \\q"; b = "one \\\ntwo"; c = x\\ y; }')
      assert.deepEqual(parsed['a'], ['t\tn\nAB\\"$ q'])
      assert.deepEqual(parsed['b'], ['one two'])
      assert.deepEqual(parsed['c'], ['x y'])
    })

    it('merges wildcard parameters and substitutes variables like jail(8)', () => {
      const jails = parseJailConf(
        [
          'exec.clean;',
          '$base = "/var/jail";',
          'path = "$base/$name";',
          'foo { host.hostname = "${name}.example.com"; path = /srv/foo; }',
          'bar { allow.nomount; $cmd = "echo hi"; exec.start = $cmd; }',
          '* { allow.mount; }',
        ].join('\n'),
      )
      assert.deepEqual(
        jails.map((j) => [j.name, Object.fromEntries(j.params)]),
        [
          ['foo', {'exec.clean': true, path: ['/srv/foo'], 'host.hostname': ['foo.example.com'], 'allow.mount': true}],
          ['bar', {'exec.clean': true, path: ['/var/jail/bar'], 'allow.mount': true, 'exec.start': ['echo hi']}],
        ],
      )
    })

    it('expands a list variable when it is the whole value', () => {
      const parsed = paramsOf('$ips = 10.0.0.1, 10.0.0.2; j { ip4.addr = "$ips"; }')
      assert.deepEqual(parsed['ip4.addr'], ['10.0.0.1', '10.0.0.2'])
    })

    it('applies "foo.*" wildcards to child jails only', () => {
      const jails = parseJailConf('"foo.*" { persist; } foo { path = /a; } "foo.bar" { path = /b; }')
      assert.deepEqual(Object.fromEntries(jails[0]?.params ?? []), {path: ['/a']})
      assert.deepEqual(Object.fromEntries(jails[1]?.params ?? []), {path: ['/b'], persist: true})
    })

    it('reads .include through the resolver (a glob matching no file adds nothing)', () => {
      assert.deepEqual(
        parseJailConf('.include "/etc/jail.conf.d/*.conf";\nj { persist; }', {include: () => []}).length,
        1,
      )
    })

    it('throws a SyntaxError naming the line for malformed text', () => {
      const cases: Array<[string, RegExp]> = [
        ['j {\n  path = "/x;\n}', /line 2: unterminated string/],
        ['j {\n  path = /x\n}', /line 3: expected ";"/],
        ['j { path = ; }', /expected a value/],
        ['/* open', /line 1: unterminated comment/],
        ['j { path = /x; ', /missing "}"/],
        ['j { a = ${x\n}; }', /line 1: unterminated variable/],
        ['j { a = ${x; }', /expected ";"/],
        ['foo.* { persist; }', /expected a jail name/],
        ['j { path = "$nope"; }', /variable "nope" not found/],
        ['j { $a = "$b"; $b = "$a"; x = "$a"; }', /variable loop/],
        ['$l = a, b; j { x = "pre-$l"; }', /array cannot be substituted inline/],
        ['j { name = other; }', /cannot redefine parameter "name"/],
        ['j { x = é; }', /unexpected character "é"/],
      ]
      for (const [text, pattern] of cases) {
        assert.throws(
          () => parseJailConf(text),
          (e: unknown) => e instanceof SyntaxError && pattern.test(e.message),
          text,
        )
      }
    })
  })
})
