// Loaded by .mocharc.json before any spec: oclif maps dist/commands -> commands/ (and registers tsx) only
// when NODE_ENV is "test" or "development"; otherwise in-process tests would run stale compiled code.
process.env.NODE_ENV = 'test'
