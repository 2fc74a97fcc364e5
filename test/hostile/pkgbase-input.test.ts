// Bad pkgbase input to install: exit 2, one clear line, the installed host exactly as it was (nothing run by pkg).
import {useHostileHost} from './support.js'

type Case = [args: string[], message: RegExp]

const INSTALL = ['install', '--pkgbase', '--force', '-r', '14.3-RELEASE', '-a', 'amd64/amd64']

const cases: Case[] = [
  [[...INSTALL, '-h', 'ftp://pkg.example.org'], /invalid pkgbase mirror "ftp:\/\/pkg\.example\.org"/],
  [[...INSTALL, '-h', 'pkg+https://pkg.FreeBSD.org";rm -rf /'], /invalid pkgbase mirror/],
  [[...INSTALL, '-h', 'https://pkg.example.org/a b'], /invalid pkgbase mirror "https:\/\/pkg\.example\.org\/a b"/],
  [[...INSTALL, '-h', 'pkg+https://x\n  url: "file:///evil"'], /invalid pkgbase mirror "pkg\+https:\/\/x\\n/],
  [[...INSTALL, '-h', '/usr/local/pkgbase'], /invalid pkgbase mirror "\/usr\/local\/pkgbase"/],
  [[...INSTALL, '--set', 'minimal-jail;reboot'], /unknown pkgbase set "minimal-jail;reboot"/],
  [[...INSTALL, '--set', '../../etc'], /unknown pkgbase set "\.\.\/\.\.\/etc"/],
  [[...INSTALL, '--set', 'FreeBSD-set-minimal-jail'], /unknown pkgbase set "FreeBSD-set-minimal-jail"/],
  [[...INSTALL, '--set', ''], /unknown pkgbase set ""/],
  [[...INSTALL, '-s'], /-s is for distribution sets: pkgbase installs have neither/],
  [[...INSTALL, '--manifest', '/etc/passwd'], /--manifest is for distribution sets/],
  [INSTALL, /no pkgbase signing keys for 14\.3-RELEASE in \/usr\/share\/keys\/pkgbase-14\/trusted/],
  [
    ['install', '--force', '--set', 'base-jail', '-r', '14.3-RELEASE', '-a', 'amd64/amd64'],
    /--set chooses a pkgbase set: give --pkgbase too/,
  ],
]

describe('hostile: pkgbase input', function () {
  this.timeout(600_000)
  const hostile = useHostileHost()

  for (const [args, message] of cases) {
    it(`refuses tsez ${JSON.stringify(args)}`, async () => {
      await hostile.refuses(args, {exit: 2, message})
    })
  }
})
