import assert from 'node:assert/strict'
import {describe, it} from 'mocha'

import {parseConfigText, resolveConfig} from '../src/config.js'
import {UsageError} from '../src/errors.js'

const resolve = (text: string) => resolveConfig(parseConfigText(text, 'f.conf'), 'f.conf')

describe('config feature keys (ZFS, bridge, MANIFESTs, pkgbase)', () => {
  it('defaults: ZFS off, bridge0, the freebsd-release-manifests directory, the host pkgbase keys', () => {
    const config = resolve('')
    assert.equal(config.useZfs, false)
    assert.equal(config.zfsParent, '')
    assert.deepEqual(config.zfsProperties, [])
    assert.equal(config.bridge, 'bridge0')
    assert.equal(config.manifests, '/usr/local/share/freebsd/MANIFESTS')
    assert.equal(config.pkgbaseKeys, '')
    assert.equal(config.pkgbaseMirror, 'pkg+https://pkg.FreeBSD.org')
  })

  it('reads every key', () => {
    const config = resolve(
      [
        'tsez_use_zfs="YES"',
        'tsez_zfs_parent="zroot/tsez"',
        'tsez_zfs_properties="compression=lz4 atime=off"',
        'tsez_bridge="bridge7"',
        'tsez_manifests="/m"',
        'tsez_pkgbase_keys="/k/"',
        'tsez_pkgbase_mirror="https://mirror.example/"',
      ].join('\n'),
    )
    assert.equal(config.useZfs, true)
    assert.equal(config.zfsParent, 'zroot/tsez')
    assert.deepEqual(config.zfsProperties, ['compression=lz4', 'atime=off'])
    assert.equal(config.bridge, 'bridge7')
    assert.equal(config.manifests, '/m')
    assert.equal(config.pkgbaseKeys, '/k')
    assert.equal(config.pkgbaseMirror, 'https://mirror.example')
  })

  for (const [text, pattern] of [
    ['tsez_use_zfs="maybe"', /tsez_use_zfs must be YES or NO/],
    ['tsez_use_zfs="YES"', /tsez_zfs_parent must name a dataset when tsez_use_zfs is YES/],
    ['tsez_zfs_parent="/zroot"', /tsez_zfs_parent must be a ZFS dataset name/],
    ['tsez_zfs_parent="zroot//x"', /tsez_zfs_parent must be a ZFS dataset name/],
    ['tsez_zfs_parent="zroot/x@snap"', /tsez_zfs_parent must be a ZFS dataset name/],
    ['tsez_zfs_parent="zroot/../x"', /tsez_zfs_parent must be a ZFS dataset name/],
    ['tsez_zfs_properties="compression"', /tsez_zfs_properties must be space-separated name=value/],
    ['tsez_zfs_properties="-o=x"', /tsez_zfs_properties must be space-separated name=value/],
    ['tsez_bridge="bridge 0"', /tsez_bridge must be an interface name/],
    ['tsez_bridge="averyveryverylongbridge"', /tsez_bridge must be an interface name/],
    ['tsez_manifests="relative"', /tsez_manifests must be an absolute path/],
    ['tsez_pkgbase_keys="keys"', /tsez_pkgbase_keys must be an absolute path/],
    ['tsez_pkgbase_mirror="ftp://x"', /tsez_pkgbase_mirror must be a pkg\+https/],
  ] as const) {
    it(`refuses ${text} with one line naming the file`, () => {
      assert.throws(
        () => resolve(text),
        (error: Error) =>
          error instanceof UsageError && pattern.test(error.message) && error.message.startsWith('f.conf'),
      )
    })
  }
})
