// Tests for `--param` / `--unset` checking against jail(8)'s parameter names and types.
import assert from 'node:assert/strict'

import {JAIL_PARAMS, validateParam} from '../../src/jail/params.js'

function problemOf(name: string, value: string | undefined): string {
  const result = validateParam(name, value)
  assert.ok('problem' in result, `expected a problem for ${name}=${value}, got ${JSON.stringify(result)}`)
  return result.problem
}

describe('jail/params', () => {
  it('knows the parameters the Handbook tunes, with their types', () => {
    for (const name of ['allow.raw_sockets', 'allow.sysvipc', 'allow.mount.zfs', 'persist', 'exec.clean']) {
      assert.equal(JAIL_PARAMS.get(name)?.type.kind, 'bool', name)
    }
    for (const name of ['enforce_statfs', 'securelevel', 'children.max', 'devfs_ruleset', 'stop.timeout']) {
      assert.equal(JAIL_PARAMS.get(name)?.type.kind, 'int', name)
    }
    for (const name of ['sysvmsg', 'sysvsem', 'sysvshm', 'ip4', 'ip6', 'vnet', 'host']) {
      assert.equal(JAIL_PARAMS.get(name)?.type.kind, 'choice', name)
    }
    assert.equal(JAIL_PARAMS.get('exec.poststart')?.list, true)
  })

  it("knows FreeBSD 14's and 15's additions: allow.adjtime/settime/routing, meta, env, zfs.dataset", () => {
    for (const name of ['allow.adjtime', 'allow.settime', 'allow.routing']) {
      assert.deepEqual(validateParam(name, '1'), {name, value: true})
    }
    assert.deepEqual(validateParam('meta', 'owner=ops'), {name: 'meta', value: 'owner=ops'})
    assert.deepEqual(validateParam('env', 'tier=web'), {name: 'env', value: 'tier=web'})
    assert.equal(JAIL_PARAMS.get('zfs.dataset')?.list, true)
    assert.deepEqual(validateParam('zfs.dataset', 'tank/web1/data'), {name: 'zfs.dataset', value: 'tank/web1/data'})
  })

  it('knows every parameter issue 12 names, allow.mount.* included, and points cpuset.id at --cpuset', () => {
    const allow = ['nfsd', 'extattr', 'read_msgbuf', 'unprivileged_proc_debug', 'suser', 'setaudit']
    const mounts = ['devfs', 'fdescfs', 'fusefs', 'linprocfs', 'linsysfs', 'nullfs', 'procfs', 'tmpfs', 'zfs']
    for (const name of [...allow, 'unprivileged_parent_tampering', ...mounts.map((fs) => `mount.${fs}`)]) {
      assert.deepEqual(validateParam(`allow.${name}`, 'true'), {name: `allow.${name}`, value: true}, name)
    }
    assert.deepEqual(validateParam('allow.nosetaudit', 'true'), {name: 'allow.setaudit', value: false})
    const cpuset = validateParam('cpuset.id', '2')
    assert.match('problem' in cpuset ? cpuset.problem : '', /read-only .*tsez config NAME --cpuset LIST/)
  })

  describe('booleans', () => {
    it('accepts true/false, 1/0, yes/no, on/off in any case', () => {
      for (const value of ['true', 'TRUE', '1', 'yes', 'On']) {
        assert.deepEqual(validateParam('allow.raw_sockets', value), {name: 'allow.raw_sockets', value: true})
      }
      for (const value of ['false', 'False', '0', 'no', 'OFF']) {
        assert.deepEqual(validateParam('allow.raw_sockets', value), {name: 'allow.raw_sockets', value: false})
      }
    })

    it('folds a "no" prefix on the last component into the value, as jail.conf does', () => {
      assert.deepEqual(validateParam('allow.nomount', 'true'), {name: 'allow.mount', value: false})
      assert.deepEqual(validateParam('allow.mount.nozfs', 'false'), {name: 'allow.mount.zfs', value: true})
      assert.deepEqual(validateParam('nopersist', '1'), {name: 'persist', value: false})
      assert.deepEqual(validateParam('mount.nodevfs', undefined), {name: 'mount.devfs'})
    })

    it('refuses other words', () => {
      assert.match(problemOf('persist', 'maybe'), /persist: "maybe" is not a boolean/)
      assert.match(problemOf('persist', ''), /not a boolean/)
    })

    it('does not treat a "no" prefix on a non-boolean as a negation', () => {
      assert.match(problemOf('nosecurelevel', '1'), /unknown jail parameter/)
    })
  })

  describe('integers', () => {
    it('accepts values in range', () => {
      assert.deepEqual(validateParam('enforce_statfs', '1'), {name: 'enforce_statfs', value: 1})
      assert.deepEqual(validateParam('securelevel', '-1'), {name: 'securelevel', value: -1})
      assert.deepEqual(validateParam('securelevel', '3'), {name: 'securelevel', value: 3})
      assert.deepEqual(validateParam('children.max', '20'), {name: 'children.max', value: 20})
      assert.deepEqual(validateParam('devfs_ruleset', '0'), {name: 'devfs_ruleset', value: 0})
    })

    it('refuses values out of range', () => {
      assert.match(problemOf('enforce_statfs', '3'), /out of range: give an integer from 0 to 2/)
      assert.match(problemOf('securelevel', '4'), /from -1 to 3/)
      assert.match(problemOf('children.max', '-1'), /out of range/)
      assert.match(problemOf('devfs_ruleset', '65536'), /out of range/)
    })

    it('refuses non-decimal forms', () => {
      for (const value of ['two', '1.5', '010', '+1', ' 1', '0x10', '']) {
        assert.match(problemOf('stop.timeout', value), /is not an integer/, value)
      }
    })
  })

  describe('choices and strings', () => {
    it('accepts the values jail(8) lists for new/inherit/disable parameters', () => {
      assert.deepEqual(validateParam('sysvshm', 'new'), {name: 'sysvshm', value: 'new'})
      assert.deepEqual(validateParam('ip6', 'disable'), {name: 'ip6', value: 'disable'})
      assert.match(problemOf('sysvshm', 'shared'), /not one of new, inherit, disable/)
      assert.match(problemOf('vnet', 'disable'), /not one of new, inherit/)
    })

    it('accepts one-line strings, quotes and dollars included', () => {
      const command = 'logger "jail $name started"'
      assert.deepEqual(validateParam('exec.poststart', command), {name: 'exec.poststart', value: command})
      assert.deepEqual(validateParam('host.domainname', 'example.org'), {name: 'host.domainname', value: 'example.org'})
    })

    it('refuses control characters and relative console logs', () => {
      assert.match(problemOf('exec.poststart', 'a\nb'), /control character/)
      assert.match(problemOf('exec.consolelog', 'var/log/x'), /not an absolute path/)
    })
  })

  describe('refused names', () => {
    it('points to the tsez flag for parameters tsez owns', () => {
      assert.match(problemOf('ip4.addr', '10.0.0.1'), /--ip IPLIST/)
      assert.match(problemOf('ip6.addr', undefined), /--ip IPLIST/)
      assert.match(problemOf('host.hostname', 'x'), /--hostname/)
      assert.match(problemOf('depend', 'db'), /--depend/)
      assert.match(problemOf('name', 'x'), /--rename/)
      assert.match(problemOf('path', '/x'), /create -r ROOTDIR/)
      assert.match(problemOf('mount.fstab', '/etc/fstab.x'), /fstab/)
      assert.match(problemOf('jid', '5'), /kernel assigns/)
    })

    it('refuses osrelease and osreldate, explaining that they go stale', () => {
      for (const name of ['osrelease', 'osreldate']) {
        const problem = problemOf(name, '14.1-RELEASE')
        assert.match(problem, /goes stale/)
        assert.match(problem, /basejail is updated/)
      }
    })

    it('refuses read-only parameters', () => {
      for (const name of ['children.cur', 'cpuset.id', 'dying', 'parent']) {
        assert.match(problemOf(name, '1'), /read-only/)
      }
    })

    it('names the nearest known parameter for an unknown one', () => {
      assert.match(problemOf('allow.raw_socket', '1'), /nearest known one is "allow.raw_sockets"/)
      assert.match(problemOf('enforce_statf', '1'), /"enforce_statfs"/)
      assert.match(problemOf('securelvl', '1'), /"securelevel"/)
    })

    it('is not fooled by names of Object.prototype', () => {
      assert.match(problemOf('constructor', '1'), /unknown jail parameter/)
      assert.match(problemOf('__proto__', undefined), /unknown jail parameter/)
    })
  })

  it('validates only the name for --unset', () => {
    assert.deepEqual(validateParam('allow.raw_sockets', undefined), {name: 'allow.raw_sockets'})
    assert.deepEqual(validateParam('securelevel', undefined), {name: 'securelevel'})
    assert.match(problemOf('nonsense', undefined), /unknown jail parameter/)
  })
})
