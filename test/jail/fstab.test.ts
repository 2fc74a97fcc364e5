// Tests for the per-jail fstab (what jail(8) can mount) and for reading `mount -p` output.
import assert from 'node:assert/strict'

import {basejailFstabEntry, fstabFieldProblem, parseMountP, renderFstab} from '../../src/jail/fstab.js'

describe('jail/fstab', () => {
  describe('basejailFstabEntry / renderFstab', () => {
    it('mounts the basejail read-only with nullfs on ROOT/basejail', () => {
      assert.deepEqual(basejailFstabEntry('/usr/jails/basejail', '/usr/jails/www.example.com'), {
        device: '/usr/jails/basejail',
        mountPoint: '/usr/jails/www.example.com/basejail',
        type: 'nullfs',
        options: 'ro',
        dump: 0,
        pass: 0,
      })
    })

    it('drops trailing slashes rather than writing "//"', () => {
      const entry = basejailFstabEntry('/usr/jails/basejail/', '/usr/jails/www/')
      assert.equal(entry.device, '/usr/jails/basejail')
      assert.equal(entry.mountPoint, '/usr/jails/www/basejail')
      assert.equal(basejailFstabEntry('/', '/').mountPoint, '/basejail')
    })

    it('writes tab-separated lines with dump and pass', () => {
      assert.equal(
        renderFstab([
          basejailFstabEntry('/usr/jails/basejail', '/usr/jails/www'),
          {
            device: '/usr/ports',
            mountPoint: '/usr/jails/www/usr/ports',
            type: 'nullfs',
            options: 'rw',
            dump: 1,
            pass: 2,
          },
        ]),
        '/usr/jails/basejail\t/usr/jails/www/basejail\tnullfs\tro\t0\t0\n' +
          '/usr/ports\t/usr/jails/www/usr/ports\tnullfs\trw\t1\t2\n',
      )
      assert.equal(renderFstab([]), '')
    })

    it('refuses fields jail(8) would split or cut (it does not decode \\040)', () => {
      const base = {device: '/a', mountPoint: '/usr/jails/x/basejail', type: 'nullfs', options: 'ro'}
      assert.throws(
        () => renderFstab([{...base, mountPoint: '/usr/jails/my jail/basejail'}]),
        /mount point .*whitespace/,
      )
      assert.throws(() => renderFstab([{...base, device: '/usr/jails/base\tjail'}]), /device .*whitespace/)
      assert.throws(() => renderFstab([{...base, device: '/usr/jails/#1'}]), /"#"/)
      assert.throws(() => renderFstab([{...base, options: ''}]), /mount options is empty/)
      assert.throws(() => renderFstab([{...base, mountPoint: 'usr/jails/x/basejail'}]), /not absolute/)
    })

    it('explains a field problem so callers can refuse a root path up front', () => {
      assert.equal(fstabFieldProblem('/usr/jails/www'), undefined)
      assert.match(fstabFieldProblem('/usr/jails/my www', 'jail root') ?? '', /^jail root "\/usr\/jails\/my www"/)
      assert.match(fstabFieldProblem('/a\nb') ?? '', /control character/)
    })
  })

  describe('parseMountP', () => {
    it('reads mount -p output in FreeBSD layout (tabs for short fields, a space after long ones)', () => {
      const text = [
        '/dev/ada0p2\t\t/\t\t\tufs\trw\t\t1 1',
        'devfs\t\t\t/dev\t\t\tdevfs\trw,multilabel\t\t0 0',
        'zroot/ROOT/default\t/\t\t\tzfs\trw,nfsv4acls\t\t0 0',
        '/usr/jails/basejail\t/usr/jails/www.example.com/basejail nullfs\tro\t\t0 0',
        '/usr/jails/some/very/long/basejail /usr/jails/another/long/root/basejail nullfs\tro\t\t0 0',
        '',
      ].join('\n')
      assert.deepEqual(parseMountP(text), [
        {device: '/dev/ada0p2', mountPoint: '/', type: 'ufs', options: 'rw', dump: 1, pass: 1},
        {device: 'devfs', mountPoint: '/dev', type: 'devfs', options: 'rw,multilabel', dump: 0, pass: 0},
        {device: 'zroot/ROOT/default', mountPoint: '/', type: 'zfs', options: 'rw,nfsv4acls', dump: 0, pass: 0},
        {
          device: '/usr/jails/basejail',
          mountPoint: '/usr/jails/www.example.com/basejail',
          type: 'nullfs',
          options: 'ro',
          dump: 0,
          pass: 0,
        },
        {
          device: '/usr/jails/some/very/long/basejail',
          mountPoint: '/usr/jails/another/long/root/basejail',
          type: 'nullfs',
          options: 'ro',
          dump: 0,
          pass: 0,
        },
      ])
    })

    it('keeps spaces inside a mount point when the layout shows where it starts', () => {
      const [entry] = parseMountP('/dev/da0s1\t\t/media/My Disk\t\tmsdosfs\trw\t\t0 0\n')
      assert.equal(entry?.mountPoint, '/media/My Disk')
      assert.equal(entry?.device, '/dev/da0s1')
    })

    it('decodes fstab(5) escapes', () => {
      const [entry] = parseMountP('/data\\040set\t/usr/jails/x/mnt\\011tab\\134\tnullfs\tro\t0\t0\n')
      assert.equal(entry?.device, '/data set')
      assert.equal(entry?.mountPoint, '/usr/jails/x/mnt\ttab\\')
    })

    it('reads lines laid out with single tabs or spaces, as simpler tools print them', () => {
      assert.deepEqual(parseMountP('tmpfs /tmp tmpfs rw 0 0'), [
        {device: 'tmpfs', mountPoint: '/tmp', type: 'tmpfs', options: 'rw', dump: 0, pass: 0},
      ])
    })

    it('throws on a line it cannot split rather than guessing', () => {
      assert.throws(() => parseMountP('/a long device with spaces /and a mount point nullfs ro 0 0'), /cannot read/)
      assert.throws(() => parseMountP('garbage'), /cannot read this line/)
    })
  })
})
