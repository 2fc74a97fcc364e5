import {loadConfig} from '../src/config.js'
import {createJail} from '../src/create/service.js'
import {systemClock} from '../src/system/clock.js'
import {createRunner} from '../src/system/runner.js'
import {createInstalledHost} from '../test/support/installed-host.js'
import {copyTree} from '../src/system/copy-tree.js'
import {execFileSync} from 'node:child_process'
const host = await createInstalledHost()
process.env.PATH = host.env.PATH
const config = await loadConfig({flag: host.configFile})
const step = {update() {}, succeed() {}, fail() {}}
const deps = {run: createRunner(), log: {info() {}, warn() {}}, progress: {step: () => step}, clock: systemClock, env: process.env, packageRoot: process.cwd()}
await createJail(config, {name: 'first', ipList: '10.1.1.1', existingRoot: false, norun: false, flavours: [], dryRun: false, lockWaitMs: 1000}, deps)
let t = performance.now()
for (let i = 0; i < 60; i++) await createJail(config, {name: `c${i}`, ipList: `10.1.0.${i + 1}`, existingRoot: false, norun: false, flavours: [], dryRun: false, lockWaitMs: 1000}, deps)
console.log("create", ((performance.now() - t) / 60).toFixed(1))
t = performance.now()
for (let i = 0; i < 20; i++) await copyTree(config.newjail, `${config.jaildir}/copy${i}`)
console.log('copyTree', ((performance.now() - t) / 20).toFixed(1))
t = performance.now()
for (let i = 0; i < 20; i++) execFileSync('cp', ['-a', config.newjail, `${config.jaildir}/cpa${i}`])
console.log('cp -a', ((performance.now() - t) / 20).toFixed(1))
await host.cleanup()
const T = (globalThis as any).T
for (const k of Object.keys(T)) console.log(k.padEnd(10), (T[k] / 60).toFixed(1))
