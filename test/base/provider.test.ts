// Base providers and pkgbase's pure facts: the record chooses, pkgbase has no freebsd-update by construction.
import assert from 'node:assert/strict'
import {mkdir, mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {baseProvider, providerKind} from '../../src/base/provider.js'
import {describePkgbaseRepo, parsePkgbaseSet, renderRepoConf, requirePkgbaseKeys} from '../../src/base/pkgbase.js'
import type {InstallRecord} from '../../src/base/install-record.js'
import {resolveConfig} from '../../src/config.js'
import {UsageError} from '../../src/errors.js'
import {parseRelease} from '../../src/dist/release.js'
import {planUpdate, type PlanFacts, type UpdateAction} from '../../src/update/plan.js'

const config = resolveConfig(
  new Map([
    ['tsez_jaildir', '/j'],
    ['tsez_dbdir', '/db'],
  ]),
  undefined,
)
const record = (extra: Record<string, unknown> = {}): InstallRecord => ({
  release: '15.1-RELEASE',
  userland: '15.1-RELEASE-p1',
  machine: 'arm64',
  arch: 'aarch64',
  mirror: undefined,
  ...extra,
})
const pkgbase = record({provider: 'pkgbase', pkgbase: {set: 'base-jail', mirror: 'pkg+https://pkg.example.org'}})

describe('base/provider', () => {
  it('a record without a provider (written before pkgbase) means distribution sets', () => {
    assert.equal(providerKind(record()), 'dist-sets')
    assert.equal(providerKind(undefined), 'dist-sets')
    assert.equal(providerKind(pkgbase), 'pkgbase')
    assert.equal(baseProvider(config, record(), '15.1-RELEASE-p1').patch(false)[0]?.program, 'freebsd-update')
    assert.equal(baseProvider(config, pkgbase, '15.1-RELEASE-p1').allowsInstallworld, false)
  })

  it('pkgbase: every action of update runs pkg or is refused; freebsd-update never appears', () => {
    const provider = baseProvider(config, pkgbase, '15.1-RELEASE-p1')
    const facts = {
      versionBefore: '15.1-RELEASE-p1',
      provider,
      dataset: undefined,
      targets: [],
      etcSources: {target: undefined, byRelease: new Map()},
      tarballExists: () => false,
      baseHasSrc: false,
      halfDoneInstall: false,
      pendingStep: undefined,
      now: new Date(0),
    } as PlanFacts
    // -b/-i (make installworld) are refused for pkgbase where they are planned: test/commands/update-pkgbase.test.ts.
    const actions: UpdateAction[] = ['patch', 'upgrade', 'rollback']
    for (const action of actions) {
      const release = action === 'upgrade' ? parseRelease('15.2-RELEASE') : undefined
      try {
        const plan = planUpdate(config, {action, release, parallel: 1, restart: false}, facts)
        assert.ok(plan.base.length === 1 && plan.base.every((c) => c.program === 'pkg'), action)
        assert.equal(plan.updateConf?.file, '/db/pkgbase/repos/FreeBSD-base.conf')
      } catch (error) {
        assert.ok(error instanceof UsageError && /installed with pkgbase/.test(error.message), action)
        assert.equal(action, 'rollback')
      }
    }
    const [upgrade] = provider.upgrade(parseRelease('15.2-RELEASE'), false)
    assert.deepEqual(upgrade?.argv, [
      ...['--rootdir', '/j/basejail', '--repo-conf-dir', '/db/pkgbase/repos'],
      ...['-o', 'ABI=FreeBSD:15:aarch64', '-o', 'IGNORE_OSVERSION=yes', '-o', 'OSVERSION=1502000'],
      ...['-o', 'VERSION_MINOR=2', '-o', 'ASSUME_ALWAYS_YES=yes', 'upgrade', '-r', 'FreeBSD-base'],
    ])
    assert.match(
      provider.conf(parseRelease('15.2-RELEASE'), false).content,
      /pkg\.example\.org\/FreeBSD:15:aarch64\/base_release_2"/,
    )
  })
})

describe('base/pkgbase', () => {
  const platform = {machine: 'amd64', arch: 'amd64'}
  it('base_release_MINOR for releases, base_latest for everything else', () => {
    const at = (name: string) => describePkgbaseRepo(parseRelease(name), platform, 'pkg+https://pkg.FreeBSD.org/', '/k')
    assert.equal(at('15.0-RELEASE').url, 'pkg+https://pkg.FreeBSD.org/FreeBSD:15:amd64/base_release_0')
    assert.equal(at('16.0-CURRENT').url, 'pkg+https://pkg.FreeBSD.org/FreeBSD:16:amd64/base_latest')
    assert.equal(at('15.1-STABLE').url, 'pkg+https://pkg.FreeBSD.org/FreeBSD:15:amd64/base_latest')
    assert.throws(() => describePkgbaseRepo(parseRelease('15.0-RELEASE'), platform, 'ftp://x', '/k'), UsageError)
  })

  it('the repo config: FreeBSD-base only, signatures checked against the fingerprints directory', () => {
    const repo = describePkgbaseRepo(parseRelease('15.1-RELEASE'), platform, 'pkg+https://pkg.FreeBSD.org', '/k/p15')
    const conf = renderRepoConf(repo)
    assert.match(conf, /^FreeBSD-base: \{$/m)
    assert.match(conf, /signature_type: "fingerprints",/)
    assert.match(conf, /fingerprints: "\/k\/p15",/)
    assert.match(conf, /mirror_type: "srv",/)
  })

  it('sets: minimal-jail and base-jail only', () => {
    assert.equal(parsePkgbaseSet('base-jail'), 'base-jail')
    assert.throws(() => parsePkgbaseSet('FreeBSD-set-base'), /unknown pkgbase set/)
  })

  it('keys: KEYS/pkgbase-MAJOR/trusted with keys passes; none is exit 2 naming where keys come from', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'tsez-keys-'))
    try {
      const keyed = {...config, pkgbaseKeys: dir}
      await assert.rejects(requirePkgbaseKeys(keyed, parseRelease('15.1-RELEASE')), UsageError)
      await mkdir(path.join(dir, 'pkgbase-15/trusted'), {recursive: true})
      await writeFile(path.join(dir, 'pkgbase-15/trusted/key.pub'), 'k')
      assert.equal(await requirePkgbaseKeys(keyed, parseRelease('15.1-RELEASE')), path.join(dir, 'pkgbase-15'))
      // One directory per major: an upgrade to 16 needs pkgbase-16 beside it.
      await assert.rejects(requirePkgbaseKeys(keyed, parseRelease('16.0-RELEASE')), /pkgbase-16\/trusted/)
      await assert.rejects(
        requirePkgbaseKeys({...config, pkgbaseKeys: ''}, parseRelease('99.0-RELEASE')),
        /\/usr\/share\/keys\/pkgbase-99\/trusted \(pkgbase keys ship in \/usr\/share\/keys\/pkgbase-MAJOR/,
      )
    } finally {
      await rm(dir, {recursive: true, force: true})
    }
  })
})
