// A failed base step of update -u/-U/--rollback: the basejail back to its snapshot when there is one, else one line
// saying what state it is in and the command that finishes the job.
import type {TsezConfig} from '../config.js'
import {readUserlandVersion} from '../base/freebsd-update.js'
import {clearPendingStep, finishCommand} from '../base/update-journal.js'
import {discardPendingInstall} from '../base/update-state.js'
import {OperationError} from '../errors.js'
import type {Deps} from '../system/deps.js'
import {ExternalCommandError, outputTail} from '../system/runner.js'
import * as zfs from '../system/zfs.js'
import type {BaseStepError} from './base.js'
import type {UpdatePlan} from './plan.js'

/**
 * After a failed base step: when files may have changed and a snapshot was taken, the basejail goes back to it
 * (then freebsd-update's half-done install is dropped, as it no longer matches). One line says what failed,
 * what state the base is in, and what to do.
 */
export async function recoverFromBaseFailure(
  config: TsezConfig,
  plan: UpdatePlan,
  error: BaseStepError,
  deps: Deps,
): Promise<OperationError> {
  const version = async () => readUserlandVersion(config.basejail).catch(() => 'unknown')
  if (!error.touched) {
    await clearPendingStep(config)
    return new OperationError(
      `${error.message}; the basejail is unchanged (${await version()}) and no jail was touched`,
    )
  }
  if (plan.snapshot) {
    const snapshot = `${plan.snapshot.dataset}@${plan.snapshot.name}`
    const why = await zfs.rollback(deps.run, snapshot, {destroyLater: false}).then(
      () => undefined,
      (failure: unknown) => (failure instanceof ExternalCommandError ? outputTail(failure.result, 1) : String(failure)),
    )
    if (why === undefined) {
      // The basejail is the snapshot again: it holds nothing more, and a retry within this second reuses its name.
      await zfs.destroy(deps.run, snapshot).catch((kept: Error) => deps.log.warn(`${snapshot} kept: ${kept.message}`))
      if (plan.updateConf) await discardPendingInstall(plan.updateConf.workdir, config.basejail)
      await clearPendingStep(config)
      return new OperationError(
        `${error.message}; the basejail was restored from ${snapshot} (${await version()}) and no jail was touched`,
      )
    }
    return new OperationError(
      `${error.message}; restoring ${snapshot} failed too (${why}): the basejail may be half changed ` +
        `(${await version()}); run zfs rollback ${snapshot}`,
    )
  }
  return new OperationError(
    `${error.message}; the basejail is half changed (bin/freebsd-version says ${await version()}) and no jail's ` +
      `/etc was touched: ${finishAdvice(plan)}`,
  )
}

/** Without a snapshot the only way to a whole base is forward: each of these commands resumes what stopped. */
function finishAdvice(plan: UpdatePlan): string {
  switch (plan.action) {
    case 'patch':
    case 'upgrade': {
      const again = finishCommand({action: plan.action, targetRelease: plan.targetRelease ?? null})
      if (plan.base.some((command) => command.program === 'pkg'))
        return `pkg stopped part way; fix the cause, then ${again} runs pkg upgrade again and finishes it`
      return `freebsd-update cannot undo a half-done install; fix the cause, then ${again} finishes it (not --rollback)`
    }
    case 'rollback':
      return 'fix the cause, then run tsez update --rollback again'
    case 'build':
    case 'installworld':
      throw new Error('update -b/-i never change the basejail in place: update/source.ts reports their failures')
  }
}
