// Mocha's spec reporter plus one plain closing line, "N passed, N failed" (", N skipped" when any are
// pending), which CI reads; also records the counts so `npm test` fails when no test ran at all.
const fs = require('node:fs')
const path = require('node:path')
const {reporters, Runner} = require('mocha')

class SummarySpec extends reporters.Spec {
  constructor(runner, options) {
    super(runner, options)
    runner.once(Runner.constants.EVENT_RUN_END, () => {
      const s = runner.stats
      const counts = {passes: s.passes, failures: s.failures, pending: s.pending}
      fs.writeFileSync(path.join(__dirname, '..', '.test-summary.json'), JSON.stringify(counts))
      process.stdout.write(`${s.passes} passed, ${s.failures} failed${s.pending ? `, ${s.pending} skipped` : ''}\n`)
    })
  }
}

module.exports = SummarySpec
