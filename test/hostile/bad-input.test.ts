// Bad input to every command and flag: exit 2, one clear line on stderr, and the host exactly as it was.
import assert from 'node:assert/strict'
import {mkdir} from 'node:fs/promises'
import path from 'node:path'

import {quote} from '../../src/errors.js'
import {jailNameFor} from '../../src/jail/names.js'
import {diffTrees, snapshotTree} from '../support/tree.js'
import {snapshotFast, useHostileHost} from './support.js'

/** argv (`{dir}`: a directory, `{missing}`: a file that does not exist, both in the test host) and the message. */
type Case = [args: string[], message: RegExp]

/** Names nobody may give a jail, each with what `create NAME` must say about it. */
const ODD: Array<[name: string, create: RegExp]> = [
  ['a\nb', /jail name "a\\nb" contains the control character U\+000A/],
  ['a\tb', /jail name "a\\tb" contains the control character U\+0009/],
  ['\x1b[2J', /jail name "\\u001b\[2J" contains the control character U\+001B, "\["/],
  ['$(id)', /jail name "\$\(id\)" contains "\$", "\(", "\)"/],
  [';rm -rf /', /jail name ";rm -rf \/" contains ";", a space, "\/"/],
  ['../', /jail name "\.\.\/" contains "\/"/],
  ['../x', /jail name "\.\.\/x" contains "\/"/],
  ['web1/../run1', /jail name "web1\/\.\.\/run1" contains "\/"/],
  ['a b', /jail name "a b" contains a space/],
  ['ünï', /jail name "ünï" contains "ü" \(U\+00FC\), "ï" \(U\+00EF\)/],
  ['-web', /jail name "-web" starts with "-", which every tool would take for an option/],
  ['x'.repeat(201), /jail name "x{60}…" is 201 characters long; the limit is 200/],
  ['12345', /jail name "12345" is all digits/],
  ['basejail', /jail name "basejail" is reserved for tsez's own use/],
  ['newjail', /jail name "newjail" is reserved for tsez's own use/],
  ['flavours', /jail name "flavours" is reserved for tsez's own use/],
  ['', /jail name is empty/],
  ['.', /jail name "\." is not a valid hostname: it has an empty label/],
  ['..', /jail name "\.\." is not a valid hostname: it has an empty label/],
]

/** Names create refuses that are plausible hostnames, or that collide with the prepared jails. */
const CREATE_NAMES: Array<[name: string, create: RegExp]> = [
  ['a..b', /jail name "a\.\.b" is not a valid hostname: it has an empty label/],
  ['a_b.example.com', /label "a_b" contains "_"/],
  ['-a.example.com', /label "-a" starts or ends with "-"/],
  ['a-.example.com', /label "a-" starts or ends with "-"/],
  [`${'l'.repeat(64)}.example.com`, /label "l{60}…" is longer than 63 characters/],
  ['www.example.123', /its last label "123" is all digits, so it looks like an IP address/],
  ['web1', /a jail named "web1" already exists/],
  ['run1', /a jail named "run1" already exists/],
  [
    'www-example.com',
    /"www-example\.com" becomes jail name "www_example_com", which the existing jail "www\.example\.com"/,
  ],
]

/** IP lists create (and config --ip) must refuse, each with the rule it breaks. */
const BAD_IPS: Array<[ips: string, message: RegExp]> = [
  ['', /IP list is empty/],
  ['10.0.0.256', /octet 256 of 10\.0\.0\.256 is out of range 0-255/],
  ['010.0.0.1', /octet "010" of 010\.0\.0\.1 has a leading zero/],
  ['10.0.0', /is not a dotted quad \(it has 3 parts, not 4\)/],
  ['10.0.0.1.2', /is not a dotted quad \(it has 5 parts, not 4\)/],
  ['0.0.0.0', /0\.0\.0\.0 \(unspecified\) cannot be a jail's address/],
  ['255.255.255.255', /\(broadcast\) cannot be a jail's address/],
  ['224.0.0.1', /224\.0\.0\.1 is a multicast address/],
  ['10.0.0.1/33', /"\/33" is neither a prefix length 0-32/],
  ['10.0.0.1/024', /"\/024" is neither a prefix length 0-32 \(no leading zeros\)/],
  ['10.0.0.1/-1', /"\/-1" is neither a prefix length/],
  ['10.0.0.1/255.0.255.0', /"\/255\.0\.255\.0" is neither a prefix length 0-32 .* nor a contiguous netmask/],
  ['10.0.0.1,', /has an empty element at position 2/],
  [',10.0.0.1', /has an empty element at position 1/],
  ['10.0.0.1,,10.0.0.2', /has an empty element at position 2/],
  ['10.0.0.1, 10.0.0.2', /contains whitespace/],
  ['10.0.0.1\n', /IP list "10\.0\.0\.1\\n" contains whitespace/],
  ['10.0.0.1,10.0.0.1', /address 10\.0\.0\.1 appears twice/],
  ['fd00::1,fd00:0::1', /address fd00::1 appears twice/],
  ['|10.0.0.1', /the interface before "\|" is empty/],
  ['em0|', /no address after "\|"/],
  ['em0|em1|10.0.0.1', /more than one "\|"/],
  ['0em|10.0.0.1', /"0em" is not an interface name/],
  ['averyveryverylongiface|10.0.0.1', /"averyveryverylongiface" is not an interface name/],
  ['em0;id|10.0.0.1', /"em0;id" is not an interface name/],
  ['fe80::1%em0', /zone ids \("%…"\) are not allowed/],
  ['[fd00::1]', /write the IPv6 address without brackets/],
  ['::', /:: \(unspecified\) cannot be a jail's address/],
  ['ff02::1', /ff02::1 is a multicast address/],
  ['fd00::1::2', /has more than one "::"/],
  ['fd00::12345', /group "12345" is not 1 to 4 hexadecimal digits/],
  ['fd00::1.2.3.4:1', /embedded IPv4 address that is not at the end/],
  ['fd00::1/129', /"\/129" is not a prefix length 0-128/],
  ['localhost', /"localhost" is neither an IPv4 nor an IPv6 address/],
  ['$(id)', /"\$\(id\)" is neither an IPv4 nor an IPv6 address/],
  ['em0|10.0.0.1;rm', /"10\.0\.0\.1;rm" is neither an IPv4 nor an IPv6 address/],
]

/** "no jail named X", X being NAME as given (quoted or plain) or the jail name it maps to: never another name. */
const noJail = (name: string) => {
  const forms = [JSON.stringify(name), name, jailNameFor(name)].map((form) =>
    form.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
  )
  return new RegExp(`no jail named (${forms.join('|')})(;|:)`)
}

const cases: Case[] = [
  // Names, for every command that takes one.
  ...ODD.map(([name, rule]): Case => [['create', '--', name, '10.0.0.9'], rule]),
  ...CREATE_NAMES.map(([name, rule]): Case => [['create', '--', name, '10.0.0.9'], rule]),
  ...ODD.map(([name, rule]): Case => [['config', 'web1', `--rename=${name}`], rule]),
  ...ODD.map(([name]): Case => [['delete', '--', name], noJail(name)]),
  ...ODD.map(([name]): Case => [['delete', '-w', '--force', '--', name], noJail(name)]),
  ...ODD.map(([name]): Case => [['config', '--norun', '--', name], noJail(name)]),
  ...ODD.map(([name]): Case => [['start', '--', name], noJail(name)]),
  ...ODD.filter((_, i) => i % 3 === 0).map(([name]): Case => [['stop', '--', name], noJail(name)]),
  ...ODD.filter((_, i) => i % 3 === 1).map(([name]): Case => [['restart', '--', name], noJail(name)]),
  ...ODD.map(([name]): Case => [['console', '-e', 'true', '--', name], noJail(name)]),
  [['console', '-e', 'true', '--', '\x7f\x9b2J\u202e'], /no jail named "\\u007f\\u009b2J\\u202e"/],
  [['console', '-f', 'ghost'], noJail('ghost')],
  [['config', 'www.example.com', '--rename', 'run1'], /a jail named "run1" already exists/],
  [['config', 'web1', '--rename', 'www-example.com'], /becomes jail name "www_example_com"/],

  // IP lists.
  ...BAD_IPS.map(([ips, rule]): Case => [['create', 'ip1', ips], rule]),
  ...BAD_IPS.filter((_, i) => i % 4 === 0).map(([ips, rule]): Case => [['config', 'web1', '--ip', ips], rule]),

  // create's flags and arguments.
  [['create', '-f', 'nope', 'ip1', '10.0.0.9'], /unknown flavour nope .*available: default, example, webserver/],
  [['create', '-f', 'default', '-f', 'nope', '-f', 'nope2', 'ip1', '10.0.0.9'], /unknown flavour nope, nope2/],
  [['create', '-f', '../webserver', 'ip1', '10.0.0.9'], /unknown flavour \.\.\/webserver/],
  [['create', '-f', 'webserver/../..', 'ip1', '10.0.0.9'], /unknown flavour webserver\/\.\.\/\.\./],
  [['create', '-f', '/etc', 'ip1', '10.0.0.9'], /unknown flavour \/etc/],
  [['create', '-r', '', 'ip1', '10.0.0.9'], /root directory .* is or contains the jail directory/],
  [['create', '-x', 'ip1', '10.0.0.9'], /-x needs an existing root directory, but .*\/ip1 is missing/],
  [['create', '-r', '../../x', 'ip1', '10.0.0.9'], /leaves tsez_jaildir/],
  [['create', '-r', '/', 'ip1', '10.0.0.9'], /is the host's \//],
  [['create', '-r', 'web1', 'ip1', '10.0.0.9'], /is jail web1's root/],
  [['create', '--bogus', 'ip1', '10.0.0.9'], /Nonexistent flag: --bogus/],
  [['create', '-Z', 'ip1', '10.0.0.9'], /Nonexistent flag: -Z/],
  [['create', 'ip1', '10.0.0.9', 'extra'], /Unexpected argument: extra/],

  // delete's.
  [['delete', '-w', 'web1'], /delete -w removes .*\/web1 for good; add --force/],
  [['delete', 'run1'], /jail run1 is running; stop it first .* or use --force/],
  [['delete', '-w', 'run1'], /jail run1 is running/],
  [['delete', 'web1', 'run1'], /Unexpected argument: run1/],
  [['delete', '--bogus', 'web1'], /Nonexistent flag: --bogus/],
  [['delete', '-x', 'web1'], /Nonexistent flag: -x/],
  [['delete', '--force', 'ghost'], noJail('ghost')],

  // config's.
  [['config', 'run1', '--norun'], /jail run1 is running; stop it first/],
  [['config', 'run1', '--param', 'allow.raw_sockets=1'], /jail run1 is running/],
  [['config', 'web1', '--rename'], /Flag --rename expects a value/],
  [['config', 'web1', '--hostname', ''], /--hostname: jail name is empty/],
  [['config', 'web1', '--hostname', 'a b'], /--hostname: jail name "a b" contains a space/],
  [['config', 'web1', '--hostname', '$(id)'], /--hostname: jail name "\$\(id\)" contains "\$"/],
  [['config', 'web1', '--hostname', 'x\ny'], /--hostname: jail name "x\\ny" contains the control character U\+000A/],
  [['config', 'web1', '--hostname=-bad'], /--hostname: jail name "-bad" starts with "-"/],
  [['config', 'web1', '--depend', 'web1'], /--depend web1: a jail cannot depend on itself/],
  [['config', 'web1', '--depend', 'run1', '--depend', 'web1'], /--depend web1: a jail cannot depend on itself/],
  [['config', 'web1', '--depend', 'ghost'], /--depend ghost: no such jail/],
  [['config', 'web1', '--depend', '../run1'], /--depend \.\.\/run1: no such jail/],
  [['config', 'web1', '--param', 'bogus=1'], /unknown jail parameter "bogus"; the nearest known one is/],
  [['config', 'web1', '--param', 'allow.raw_sockets'], /--param "allow\.raw_sockets": write NAME=VALUE/],
  [['config', 'web1', '--param', '=1'], /--param "=1": write NAME=VALUE/],
  [['config', 'web1', '--param', 'allow.raw_sockets=maybe'], /allow\.raw_sockets: "maybe" is not a boolean/],
  [['config', 'web1', '--param', 'securelevel=4'], /securelevel: "4" is out of range: give an integer from -1 to 3/],
  [['config', 'web1', '--param', 'securelevel=-2'], /securelevel: "-2" is out of range/],
  [['config', 'web1', '--param', 'securelevel=03'], /securelevel: "03" is not an integer .*no leading zeros/],
  [['config', 'web1', '--param', 'children.max=99999999999'], /children\.max: "99999999999" is out of range/],
  [['config', 'web1', '--param', 'ip4=maybe'], /ip4: "maybe" is not one of new, inherit, disable/],
  [['config', 'web1', '--param', 'exec.consolelog=rel/path'], /exec\.consolelog: "rel\/path" is not an absolute path/],
  [['config', 'web1', '--param', 'exec.start=a\nb'], /exec\.start: "a\\nb" contains a control character/],
  [['config', 'web1', '--param', 'host.domainname=\x1b[2J'], /host\.domainname: "\\u001b\[2J" contains a control/],
  [['config', 'web1', '--param', 'path=/'], /jail parameter "path" cannot be changed here/],
  [['config', 'web1', '--param', 'name=x'], /jail parameter "name" cannot be changed here/],
  [['config', 'web1', '--param', 'osrelease=1'], /jail parameter "osrelease" cannot be changed here/],
  [['config', 'web1', '--param', 'mount.fstab=/etc/fstab'], /jail parameter "mount\.fstab" cannot be changed/],
  [['config', 'web1', '--param', 'host.hostname=x'], /"host\.hostname" cannot be changed here: use .*--hostname/],
  [['config', 'web1', '--param', 'ip4.addr=10.0.0.1'], /"ip4\.addr" cannot be changed here: use .*--ip/],
  [['config', 'web1', '--unset', 'bogus'], /unknown jail parameter "bogus"/],
  [['config', 'web1', '--unset', 'path'], /jail parameter "path" cannot be changed here/],
  [['config', 'web1', '--unset', 'allow.raw_sockets=1'], /unknown jail parameter "allow\.raw_sockets=1"/],
  [['config', 'web1', '--unset', ''], /unknown jail parameter ""/],
  [['config', 'web1', '--unset', 'allow.raw_sockets'], /--unset allow\.raw_sockets: the jail does not set it/],
  [['config', 'web1', 'run1', '--run'], /Unexpected argument: run1/],
  [['config', 'web1', '--bogus'], /Nonexistent flag: --bogus/],

  // list's, start/stop/restart's and console's.
  [['list', '--bogus'], /Nonexistent flag: --bogus/],
  [['list', '-n'], /Nonexistent flag: -n/],
  [['list', '-a'], /Nonexistent flag: -a/],
  [['start', 'web1', 'ghost'], /no jail named ghost/],
  [['start', '-a', 'ghost'], /no jail named ghost/],
  [['start', '--bogus'], /Nonexistent flag: --bogus/],
  [['start', '-p'], /Flag --parallel expects a value/],
  [['stop', 'ghost', 'run1'], /no jail named ghost/],
  [['stop', '--bogus'], /Nonexistent flag: --bogus/],
  [['restart', 'ghost'], /no jail named ghost/],
  [['restart', '-x'], /Nonexistent flag: -x/],
  [['console', 'ghost', '-e', 'true'], noJail('ghost')],
  [['console', 'web1', 'run1'], /Unexpected argument: run1/],
  [['console', '--bogus', 'web1'], /Nonexistent flag: --bogus/],
  [['console', '-e'], /Flag --execute expects a value/],

  // install's: every value is checked before anything else happens (the host has a basejail).
  [['install', '-r', 'bogus'], /invalid release "bogus": expected MAJOR\.MINOR-BRANCH/],
  [['install', '-r', ''], /invalid release "": expected MAJOR\.MINOR-BRANCH/],
  [['install', '-r', '14.3'], /invalid release "14\.3"/],
  [['install', '-r', '14.3-RELEASE\n'], /invalid release "14\.3-RELEASE\\n"/],
  [['install', '-r', '../../etc'], /invalid release "\.\.\/\.\.\/etc"/],
  [['install', '-r', '14.3-RELEASE;id'], /invalid release "14\.3-RELEASE;id"/],
  [['install', '-r', '1234.3-RELEASE'], /invalid release "1234\.3-RELEASE"/],
  [['install', '--force', '-r', '$(id)'], /invalid release "\$\(id\)"/],
  [['install', '-a', 'amd64'], /invalid MACHINE\/ARCH "amd64": expected one of amd64\/amd64/],
  [['install', '-a', 'amd64/i386'], /invalid MACHINE\/ARCH "amd64\/i386"/],
  [['install', '-a', 'amd64/amd64/x'], /invalid MACHINE\/ARCH "amd64\/amd64\/x"/],
  [['install', '-a', '../x'], /invalid MACHINE\/ARCH "\.\.\/x"/],
  [['install', '-a', ''], /invalid MACHINE\/ARCH ""/],
  [['install', '-h', 'ftp://example.org'], /invalid mirror "ftp:\/\/example\.org": use http/],
  [['install', '-h', 'relative/dir'], /invalid mirror "relative\/dir"/],
  [['install', '-h', ''], /invalid mirror ""/],
  [['install', '-h', 'javascript:alert(1)'], /invalid mirror "javascript:alert\(1\)"/],
  [['install', '-h', 'http://user:pw@127.0.0.1/'], /invalid mirror URL .*no query, fragment or credentials/],
  [['install', '-h', 'http://127.0.0.1/?x=1'], /invalid mirror URL .*no query, fragment or credentials/],
  [['install', '-h', 'http://127.0.0.1/#f'], /invalid mirror URL .*no query, fragment or credentials/],
  [['install', '-h', 'file://host/dir'], /file:\/\/ URLs take no host/],
  [['install', '-h', 'http://'], /invalid mirror URL "http:\/\/"/],
  [['install', '-h', 'http://[::1'], /invalid mirror URL "http:\/\/\[::1"/],
  [['install', '--force', '-h', 'http://127.0.0.1:1/?x'], /no query, fragment or credentials/],
  [['install'], /a basejail is already installed at .*; use --force to replace it/],
  [['install', '--bogus'], /Nonexistent flag: --bogus/],

  // update's.
  [['update'], /give exactly one of -u, -U, -b, -i or --rollback/],
  [['update', '-u', '-U'], /give exactly one of/],
  [['update', '--rollback', '-u'], /give exactly one of/],
  [['update', '-i', '-b'], /give exactly one of/],
  [['update', '-u', '-r', '15.0-RELEASE'], /-r RELEASE only goes with -U/],
  [['update', '-u', '-h', 'http://127.0.0.1'], /-h MIRROR only goes with -U/],
  [['update', '-u', '-s', '/usr/src'], /-s SOURCETREE only goes with -b or -i/],
  [['update', '-b', '-s', '/nonexistent'], /no source tree at \/nonexistent \(Makefile missing\)/],
  [['update', '-U'], /-U needs the release to upgrade to/],
  [['update', '-U', '-r', ''], /-U needs the release to upgrade to/],
  [['update', '-U', '-r', 'bogus'], /invalid release "bogus"/],
  [['update', '-U', '-r', '13.0-RELEASE'], /freebsd-update cannot downgrade it to 13\.0-RELEASE/],
  [['update', '-U', '-r', '15.0-RELEASE', '-h', 'ftp://x'], /invalid mirror "ftp:\/\/x"/],
  [['update', '-u', '-p', '0'], /invalid -p 0: give the number of jails to process at once/],
  [['update', '-u', '-p', '-3'], /invalid -p -3/],
  [['update', '-U', '-r', '15.0-RELEASE', '-p', '0'], /invalid -p 0/],
  [['update', '--rollback', '-p', '0'], /invalid -p 0/],
  [['update', '-u', '--bogus'], /Nonexistent flag: --bogus/],
  [['update', '-u', 'extra'], /Unexpected argument: extra/],

  // --config: a directory, a missing file, an empty name; the same check for every command.
  [['list', '--config', '{dir}'], /cannot read config file .*\/conf\.d: EISDIR/],
  [['create', '--config', '{dir}', 'ip1', '10.0.0.9'], /EISDIR/],
  [['delete', '-w', '--force', '--config', '{dir}', 'web1'], /EISDIR/],
  [['config', 'web1', '--norun', '--config', '{dir}'], /EISDIR/],
  [['start', '--config', '{dir}'], /EISDIR/],
  [['stop', '--config', '{dir}', 'run1'], /EISDIR/],
  [['console', '--config', '{dir}', '-e', 'true', 'run1'], /EISDIR/],
  [['install', '--force', '--config', '{dir}'], /EISDIR/],
  [['update', '-u', '--config', '{dir}'], /EISDIR/],
  [['list', '--config', '{missing}'], /cannot read config file .*missing\.conf: no such file/],
  [['restart', '--config', '{missing}', 'run1'], /missing\.conf: no such file/],
  [['delete', '--config', '{missing}', 'web1'], /missing\.conf: no such file/],
  [['create', '--config', '', 'ip1', '10.0.0.9'], /--config is empty/],
  [['list', '--config'], /Flag --config expects a value/],

  // oclif's own parse errors, made one line: missing arguments, bad integers, exclusive flags, extra words.
  [['console'], /^tsez: missing argument NAME \(usage: tsez console \[FLAGS\] NAME\)$/m],
  [['console', '-f'], /missing argument NAME \(usage: tsez console/],
  [['create'], /missing arguments NAME, IPLIST \(usage: tsez create \[FLAGS\] NAME IPLIST\)/],
  [['create', 'ip1'], /missing argument IPLIST \(usage: tsez create/],
  [['delete', '-w'], /missing argument NAME \(usage: tsez delete \[FLAGS\] NAME\)/],
  [['config', '--norun'], /missing argument NAME \(usage: tsez config \[FLAGS\] NAME\)/],
  [['start', '-p', '0'], /^tsez: --parallel: expected an integer >= 1, got "0"$/m],
  [['stop', '-p=-1', 'run1'], /--parallel: expected an integer >= 1, got "-1"/],
  [['restart', '--parallel', 'two', 'run1'], /--parallel: expected an integer, got "two"/],
  [['start', '-p', ''], /--parallel: expected an integer, got ""/],
  [['start', '-p', '1\x1b[2J'], /--parallel: expected an integer, got "1\\u001b\[2J"/],
  [['update', '-u', '-p', 'x\ny'], /--parallel: expected an integer, got "x\\ny"/],
  [['config', 'web1', '--run', '--norun'], /^tsez: --norun cannot also be provided when using --run$/m],
  [['config', 'web1', '--norun', '--run'], /--norun cannot also be provided when using --run/],
  [['list', 'extra'], /^tsez: Unexpected argument: extra$/m],
  [['list', 'a', 'b'], /Unexpected arguments: a, b$/m],
  [['list', ''], /Unexpected argument: ""$/m],
  [['list', '\x1b[2J'], /Unexpected argument: "\\u001b\[2J"/],
  [['list', 'extra', '--config', '{dir}'], /Unexpected argument: extra/],
  [['install', 'extra'], /Unexpected argument: extra/],
  [['install', '--force', 'extra'], /Unexpected argument: extra/],
  [['update', 'extra', '-u'], /Unexpected argument: extra/],
  [['delete', 'web1', 'a\tb'], /Unexpected argument: "a\\tb"/],
  [['frobnicate'], /^tsez: unknown command frobnicate: tsez --help lists the commands$/m],
  [['frobnicate', 'web1'], /unknown command frobnicate:/],
  [['\x1b[2J'], /unknown command "\\u001b\[2J"/],
  [['a\nb', 'web1'], /unknown command "a\\nb"/],
  [['list', '--\x1b[2J'], /Nonexistent flag: "--\\u001b\[2J"/],

  // A value on a boolean flag names the flag, not the next argument.
  [['start', '--all=yes', 'web1'], /^tsez: --all takes no value \(given "yes"\)/m],
  [['start', '-a=yes'], /-a takes no value \(given "yes"\)/],
  [['start', '-na=1', 'web1'], /-a takes no value/],
  [['delete', '--force=1', 'web1'], /--force takes no value \(given "1"\)/],
  [['create', '-x=', 'ip1', '10.0.0.9'], /-x takes no value \(given ""\)/],
  [['config', 'web1', '--run=false'], /--run takes no value \(given "false"\)/],
  [['install', '--force=\x1b[2J'], /--force takes no value \(given "\\u001b\[2J"\)/],
  [['update', '-u=1'], /-u takes no value/],
  [['list', '--json=1'], /--json takes no value/],
  [['list', '--verbose=1'], /--verbose takes no value/],
]

/** The argv as a title: plain words as they are, anything else quoted and escaped, long ones cut. */
function title(args: string[]): string {
  const show = (arg: string) => {
    const cut = arg.length > 40 ? `${arg.slice(0, 20)}…(${arg.length})` : arg
    return /^[\w./=:|,@-]+$/.test(cut) ? cut : quote(cut)
  }
  return args.map(show).join(' ')
}

describe('hostile: bad input to every command and flag', () => {
  const hostile = useHostileHost()
  const dir = () => path.join(hostile.host.root, 'conf.d')
  before(() => mkdir(dir()))

  it("the harness's quick snapshot agrees with snapshotTree", async () => {
    const [quick, full] = [await snapshotFast(hostile.host.root), await snapshotTree(hostile.host.root)]
    assert.ok(full.size > 1000, `${full.size} entries`)
    assert.deepEqual(diffTrees(full, quick), [])
    assert.deepEqual(diffTrees(quick, full), [])
  })

  for (const [args, message] of cases) {
    it(`tsez ${title(args)}: exit 2, one line, nothing changed`, async () => {
      const missing = path.join(hostile.host.root, 'missing.conf')
      const argv = args.map((arg) => (arg === '{dir}' ? dir() : arg === '{missing}' ? missing : arg))
      await hostile.refuses(argv, {exit: 2, message})
    })
  }
})
