// Benchmark: the etcupdate phase of `tsez update -U -r RELEASE -p 8` over 100 jails against xargs -P 8 (issue 16).
import {mkdir, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {packageRoot} from '../test/support/cli.js'
import {createUpdateSandbox, type UpdateSandbox} from '../test/support/update-jails.js'
import type {UpdateResult} from '../src/update/service.js'
import {withLeanFakes} from './fakes.js'
import {measure, medianOf, report, type Measured} from './measure.js'

const TARGET = '15.1-RELEASE'
const JAILS = 100
const PARALLEL = 8
const ETCUPDATE_SECONDS = 0.05
const RUNS = 5

export interface UpgradeSandbox {
  box: UpdateSandbox
  /** The roots update -U merges: every jail's, then the newjail's. */
  roots: string[]
  tarball: string
}

/**
 * A sandbox of COUNT jails ready for `update -U -r 15.1-RELEASE` with nothing to fetch: every root (the newjail's
 * too) has etcupdate's state, and the stock /etc tarball is cached.
 */
export async function upgradeSandbox(count: number): Promise<UpgradeSandbox> {
  const box = await createUpdateSandbox()
  const roots = [...(await box.seedJails(count)).map((record) => record.root), box.config.newjail]
  for (const root of roots) await mkdir(path.join(root, 'var/db/etcupdate/current'), {recursive: true})
  await mkdir(path.join(box.config.dbdir, 'etcupdate'), {recursive: true})
  const tarball = path.join(box.config.dbdir, `etcupdate/etc-${TARGET}.tbz`)
  await writeFile(tarball, 'cached')
  return {box, roots, tarball}
}

/**
 * Each run on a fresh sandbox (made untimed). tsez's phase is its own --json durationMs.jails: from the end of the
 * base step to the last merge reported (pool opened and closed, progress, the update-pending note cleared). The
 * baseline is the wall time of `xargs -P 8 -L 1 etcupdate` over the same argv lines, with the same lean fake.
 */
export async function benchUpdatePhase(): Promise<void> {
  const baseline = await medianOf(RUNS, async () => onSandbox(xargsOnce))
  const phase = await medianOf(RUNS, async () => onSandbox(tsezOnce))
  const targets = JAILS + 1
  const spread = (runs: Measured[]) => runs.map((r) => ms(r.seconds)).join(', ')
  const ideal = Math.ceil(targets / PARALLEL) * ETCUPDATE_SECONDS
  report(
    `update -U etcupdate phase: ${JAILS} jails + newjail = ${targets} merges, -p ${PARALLEL}, lean fake etcupdate ` +
      `sleeps ${ETCUPDATE_SECONDS * 1000} ms; medians of ${RUNS}`,
    [
      [`ideal (ceil(${targets}/${PARALLEL}) waves x 50 ms)`, ms(ideal)],
      ['baseline: xargs -P 8 etcupdate, same argv', `${ms(baseline.median.seconds)} (runs: ${spread(baseline.runs)})`],
      ['tsez update -U: etcupdate phase (--json)', `${ms(phase.median.seconds)} (runs: ${spread(phase.runs)})`],
      ['tsez update -U: whole command, same run', ms(phase.median.whole)],
      ['ratio phase / xargs (target <= 1.3x)', `${(phase.median.seconds / baseline.median.seconds).toFixed(2)}x`],
    ],
  )
}

type Once<T> = (box: UpdateSandbox, env: NodeJS.ProcessEnv, roots: string[], tarball: string) => Promise<T>

/** ONCE on a fresh sandbox of JAILS jails whose lean fake etcupdate sleeps ETCUPDATE_SECONDS, then cleaned up. */
async function onSandbox<T>(once: Once<T>): Promise<T> {
  const {box, roots, tarball} = await upgradeSandbox(JAILS)
  try {
    box.host.set('etcupdate.sleep', String(ETCUPDATE_SECONDS))
    return await once(box, withLeanFakes(box.env), roots, tarball)
  } finally {
    await box.cleanup()
  }
}

/** The same etcupdate argv tsez runs, one line per root, 8 at once from xargs (the wall time of sh and xargs). */
const xargsOnce: Once<Measured> = async (box, env, roots, tarball) => {
  const list = path.join(box.dir, 'etcupdate-calls')
  await writeFile(list, roots.map((root) => `-D ${root} -t ${tarball}\n`).join(''))
  const run = await measure(['sh', '-c', `xargs -P ${PARALLEL} -L 1 etcupdate < '${list}'`], {env})
  const merges = box.host.calls('etcupdate').length
  if (merges !== roots.length) throw new Error(`xargs ran ${merges} etcupdate of ${roots.length}`)
  return run
}

/** tsez update -U -p 8 --json: the phase's own seconds, the whole command's beside them. */
const tsezOnce: Once<Measured & {whole: number}> = async (box, env, roots) => {
  const argv = [process.execPath, path.join(packageRoot, 'bin/run.js'), 'update', '-U', '-r', TARGET]
  const run = await measure([...argv, '-p', String(PARALLEL), '--json'], {env})
  const result = JSON.parse(run.stdout) as UpdateResult
  const merges = box.host.calls('etcupdate').length
  if (result.attention || merges !== roots.length) {
    throw new Error(`update -U merged ${merges} of ${roots.length}: ${run.stdout.slice(0, 400)}`)
  }
  return {...run, seconds: result.durationMs.jails / 1000, whole: run.seconds}
}

function ms(seconds: number): string {
  return `${Math.round(seconds * 1000)} ms`
}
