// Tests for jail.conf rendering: the file tsez writes, its escaping, and that jail(8)'s grammar reads it back.
import assert from 'node:assert/strict'

import {parseIpList} from '../../src/jail/ip.js'
import {parseJailConf} from '../../src/jail/conf-parse.js'
import {jailConfProblems, type JailConfSpec, renderJailConf} from '../../src/jail/conf-render.js'

function spec(overrides: Partial<JailConfSpec> = {}): JailConfSpec {
  return {
    name: 'www_example_com',
    path: '/usr/jails/www.example.com',
    hostname: 'www.example.com',
    addresses: parseIpList('em0|192.0.2.11/24').addresses,
    fstab: '/etc/fstab.www_example_com',
    devfsRuleset: 4,
    execStart: '/bin/sh /etc/rc',
    execStop: '/bin/sh /etc/rc.shutdown jail',
    consoleLog: '/var/log/jail_www_example_com_console.log',
    params: {},
    ...overrides,
  }
}

/** The one jail in TEXT, as a plain object for deepEqual. */
function parseOne(text: string): Record<string, string[] | true> {
  const jails = parseJailConf(text)
  assert.equal(jails.length, 1)
  return Object.fromEntries(jails[0]?.params ?? [])
}

describe('jail/conf-render', () => {
  describe('renderJailConf', () => {
    it('writes the whole jail definition tsez needs, in a fixed order', () => {
      assert.equal(
        renderJailConf(spec()),
        [
          '# Jail www_example_com, written by tsez: `tsez config www_example_com` rewrites this file.',
          'www_example_com {',
          '\tpath = "/usr/jails/www.example.com";',
          '\thost.hostname = "www.example.com";',
          '\tip4.addr = "em0|192.0.2.11/24";',
          '\tip6 = disable;',
          '\tmount.fstab = "/etc/fstab.www_example_com";',
          '\tmount.devfs;',
          '\tdevfs_ruleset = 4;',
          '\texec.start = "/bin/sh /etc/rc";',
          '\texec.stop = "/bin/sh /etc/rc.shutdown jail";',
          '\texec.clean;',
          '\texec.consolelog = "/var/log/jail_www_example_com_console.log";',
          '\tenforce_statfs = 2;',
          '}',
          '',
        ].join('\n'),
      )
    })

    it('writes both families as comma lists, and disables a family without addresses', () => {
      const both = parseOne(
        renderJailConf(spec({addresses: parseIpList('10.0.0.1,lo1|10.0.0.2,2001:db8::1').addresses})),
      )
      assert.deepEqual(both['ip4.addr'], ['10.0.0.1', 'lo1|10.0.0.2'])
      assert.deepEqual(both['ip6.addr'], ['2001:db8::1'])
      assert.equal(both['ip4'], undefined)
      assert.equal(both['ip6'], undefined)
      const v6 = parseOne(renderJailConf(spec({addresses: parseIpList('em0|2001:db8::1/64').addresses})))
      assert.deepEqual(v6['ip4'], ['disable'])
      assert.deepEqual(v6['ip6.addr'], ['em0|2001:db8::1/64'])
    })

    it('never writes depend: jail(8) refuses a dependency defined in another file; tsez orders jails itself', () => {
      assert.ok(!renderJailConf(spec()).includes('depend'))
    })

    it('never writes osrelease or osreldate', () => {
      const text = renderJailConf(spec({params: {'allow.raw_sockets': true, securelevel: 2}}))
      assert.ok(!/osrel/.test(text))
    })

    it('lets --param parameters override defaults in place and appends the others', () => {
      const text = renderJailConf(
        spec({params: {'allow.raw_sockets': true, enforce_statfs: 1, 'exec.clean': false, sysvshm: 'new'}}),
      )
      const lines = text.split('\n')
      assert.equal(lines.filter((l) => l.includes('enforce_statfs')).length, 1)
      assert.ok(lines.indexOf('\tenforce_statfs = 1;') < lines.indexOf('\tallow.raw_sockets;'))
      assert.ok(lines.includes('\texec.clean = false;'))
      assert.ok(lines.includes('\tsysvshm = new;'))
      assert.deepEqual(parseOne(text)['allow.raw_sockets'], true)
    })

    it('writes list parameters as comma lists', () => {
      const params = {'exec.poststart': ['logger started', 'touch /var/run/x']}
      assert.deepEqual(parseOne(renderJailConf(spec({params})))['exec.poststart'], params['exec.poststart'])
    })

    it('escapes quotes, backslashes and dollars so they survive jail(8) unchanged', () => {
      const nasty = [
        'echo "quoted" \'single\'',
        'C:\\path\\ with \\\\ two',
        'echo $HOME ${name} $$ $',
        'trailing backslash \\',
        'semi; colon, comma = equals { brace } # hash // slashes /* c */',
        'unicode ünïcödé ✓',
      ]
      for (const value of nasty) {
        const text = renderJailConf(spec({execStart: value, params: {'exec.poststop': value}}))
        const parsed = parseOne(text)
        assert.deepEqual(parsed['exec.start'], [value], text)
        assert.deepEqual(parsed['exec.poststop'], [value])
      }
      assert.ok(renderJailConf(spec({execStart: 'echo $HOME'})).includes('"echo \\$HOME"'))
    })

    it('keeps paths and hostnames exactly', () => {
      const parsed = parseOne(renderJailConf(spec({path: '/usr/jails/we"ird$dir', hostname: 'host-1.example.org'})))
      assert.deepEqual(parsed['path'], ['/usr/jails/we"ird$dir'])
      assert.deepEqual(parsed['host.hostname'], ['host-1.example.org'])
    })

    it('throws instead of writing a broken file', () => {
      assert.throws(() => renderJailConf(spec({execStart: 'a\nb'})), /control character/)
    })
  })

  describe('jailConfProblems', () => {
    it('finds nothing wrong with a sound spec', () => {
      assert.deepEqual(jailConfProblems(spec()), [])
    })

    it('reports every problem', () => {
      const problems = jailConfProblems(
        spec({
          name: 'www.example.com',
          path: 'usr/jails/x',
          consoleLog: '/var/log/a\nb',
          hostname: '',
          devfsRuleset: -1,
          params: {osrelease: '14.1-RELEASE', 'exec.clean': ['x'], 'allow.nomount': true, enforce_statfs: 7},
        }),
      )
      const expected = [
        /jail name "www.example.com"/,
        /host.hostname is empty/,
        /path "usr\/jails\/x" must be an absolute host path/,
        /exec.consolelog .* must be an absolute host path on one line/,
        /devfs_ruleset -1/,
        /osrelease.*goes stale/,
        /exec.clean takes one value, not a list/,
        /write jail parameter allow.nomount as allow.mount/,
        /enforce_statfs: "7" is out of range/,
      ]
      for (const pattern of expected)
        assert.ok(
          problems.some((p) => pattern.test(p)),
          `missing ${pattern}`,
        )
      assert.equal(problems.length, expected.length, JSON.stringify(problems))
    })

    it('refuses parameters tsez owns and address-family contradictions', () => {
      const owned = jailConfProblems(spec({params: {'ip4.addr': '10.0.0.9', path: '/x'}}))
      assert.equal(owned.length, 2)
      assert.deepEqual(jailConfProblems(spec({params: {ip4: 'inherit'}})), [
        "ip4 = inherit contradicts the jail's IPv4 addresses",
      ])
      assert.match(jailConfProblems(spec({params: {vnet: 'new'}}))[0] ?? '', /vnet jail configures its own IPv4/)
      assert.deepEqual(jailConfProblems(spec({params: {ip6: 'inherit'}})), [])
    })
  })
})
