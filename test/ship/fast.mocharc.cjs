// `npm run test:fast`: the unit and service tests without the end-to-end command files and the hostile suite
// (63 of the 95 files, a few minutes), for the Node releases .ci/run checks besides the one of the full run.
const base = require('../../.mocharc.json')

module.exports = {
  ...base,
  spec: ['test/**/*.test.ts'],
  // Each of these spawns tsez dozens of times or kills it at every step: minutes apiece.
  ignore: ['test/hostile/**', 'test/commands/!(console|help).test.ts'],
}
