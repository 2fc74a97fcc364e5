// Every refusal that changes nothing exits 2 (README's exit-code rule): one per command and kind of refusal, each
// one line on stderr saying why, the host (tree, running jails, mounts) exactly as before.
import {useHostileHost, type Refusal} from './support.js'

/** A refusal: tsez's arguments and what its one line must say. */
const REFUSALS: Array<{args: string[]; message: RegExp}> = [
  {args: ['delete', 'run1'], message: /jail run1 is running; stop it first/},
  {args: ['delete', 'nosuch'], message: /no jail named "nosuch"; tsez list shows the jails/},
  {args: ['config', 'run1', '--rename', 'run2'], message: /jail run1 is running; stop it first/},
  {args: ['config', 'web1', '--depend', 'nosuch'], message: /nosuch/},
  {args: ['install', '-r', '14.3-RELEASE', '--force'], message: /the basejail is mounted at .*: stop those jails/},
  {args: ['install', '-r', '14.3-RELEASE'], message: /a basejail is already installed/},
  {args: ['install', '-r', 'not-a-release'], message: /invalid release "not-a-release"/},
  {args: ['console', 'web1'], message: /jail web1 is not running: start it with `tsez start web1`/},
  {args: ['console', '-e', 'true', 'web1'], message: /jail web1 is not running/},
  {args: ['create', 'web1', '10.0.0.9'], message: /web1/},
  {args: ['create', '-f', 'nosuch', 'web8', '10.0.0.88'], message: /unknown flavour nosuch/},
  {args: ['start', 'nosuch'], message: /no jail named nosuch/},
  {args: ['stop', 'nosuch'], message: /no jail named nosuch/},
  {args: ['update', '-U', '-r', '13.5-RELEASE'], message: /cannot downgrade it to 13\.5-RELEASE/},
  {args: ['archive', 'nosuch'], message: /no jail named "nosuch"/},
  {args: ['restore', '/nonexistent.tsez.tar.xz'], message: /does not exist/},
  {args: ['clone', 'run1', 'run9', '10.0.0.50'], message: /jail run1 is running: stop it first/},
  {args: ['snapshot', 'web1'], message: /not using ZFS/},
  {args: ['rollback', 'web1', 's1'], message: /not using ZFS/},
  {args: ['limits', 'nosuch'], message: /no jail named "nosuch"/},
  {args: ['freeze', 'nosuch', 'frozen'], message: /no jail named "nosuch"/},
  {args: ['import', 'jail-conf', '/nonexistent/jail.conf'], message: /does not exist/},
]

describe('refusals exit 2 and change nothing', function () {
  this.timeout(60_000)
  const hostile = useHostileHost()
  const refusal = (message: RegExp): Refusal => ({exit: 2, message})

  for (const {args, message} of REFUSALS) {
    it(`tsez ${args.join(' ')}`, () => hostile.refuses(args, refusal(message)))
  }
})
