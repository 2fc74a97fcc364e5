import assert from 'node:assert/strict'

import {tsez} from '../support/cli.js'
import {createTestHost, type TestHost} from '../support/test-host.js'

// A value a user typed comes back in a message escaped: DEL, C1 controls and U+202E (right-to-left override, which
// reorders what a terminal shows) never reach stderr raw, nor the JSON error's message.
const RLO = '\u202e'
const DEL = '\u007f'
const C1 = '\u009b' // CSI: starts an escape sequence on some terminals

describe('hostile: values in messages are escaped (DEL, C1, U+202E)', function () {
  let host: TestHost
  before(async () => (host = await createTestHost()))
  after(() => host.cleanup())

  const cases: Array<[string, string[], RegExp]> = [
    ['install -r', ['install', '-r', `14.3${RLO}-RELEASE`], /invalid release "14\.3\\u202e-RELEASE"/],
    ['install -a', ['install', '-r', '14.3-RELEASE', '-a', `amd64/${DEL}`], /invalid MACHINE\/ARCH "amd64\/\\u007f"/],
    ['install -h', ['install', '-r', '14.3-RELEASE', '-h', `mirror${C1}`], /invalid mirror "mirror\\u009b"/],
    ['create IPLIST', ['create', 'web', `10.0.0.1${RLO}`], /\\u202e/],
    ['create with an iface', ['create', 'web', `em${DEL}|10.0.0.1`], /"em\\u007f" is not an interface name/],
    ['config of an unknown jail', ['config', `w${RLO}b`, '--run'], /no jail named "w\\u202eb"/],
    ['delete of an unknown jail', ['delete', `w${C1}b`], /no jail named "w\\u009bb"/],
    ['list -o', ['list', '-o', `name,st${RLO}ate`], /unknown column "st\\u202eate"/],
  ]
  for (const [what, args, message] of cases) {
    it(`${what}: exit 2, the value escaped, nothing raw on stderr or in --json`, async () => {
      const plain = await tsez(args, host.env)
      assert.equal(plain.exitCode, 2, plain.stderr)
      assert.match(plain.stderr, message)
      for (const raw of [RLO, DEL, C1]) assert.ok(!plain.stderr.includes(raw), `raw ${escape(raw)} in: ${plain.stderr}`)
      const json = await tsez([...args, '--json'], host.env)
      assert.equal(json.exitCode, 2)
      const error = (JSON.parse(json.stdout) as {error: {message: string}}).error.message
      for (const raw of [RLO, DEL, C1]) assert.ok(!error.includes(raw), `raw ${escape(raw)} in the JSON message`)
    })
  }
})
