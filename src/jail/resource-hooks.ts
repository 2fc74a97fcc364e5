// The jail.conf commands that pin a jail's CPUs and apply its rctl limits, so `service jail start NAME` does it too.
import {cpusetArgv} from './cpuset.js'
import {rctlAddArgv, rctlRemoveArgv} from './limits.js'
import type {JailRecord} from './store.js'

/*
 * exec.created runs on the host right after jail(8) creates the jail and before exec.start runs anything in it,
 * so every process of the jail is bound and limited from the first. The cpuset comes first, then one `rctl -a`
 * per rule; exec.poststop removes the jail's rules after jail(8) removed the jail (the rules name the jail, not
 * its JID, and would otherwise apply to the next jail of that name). Each is an `+=`, so commands a --param
 * exec.created or exec.poststop set stay and these follow them. Every word is from a checked set (jail names,
 * CPU lists, rctl's resource, action and per names, amounts), so none needs quoting; jail(8) runs a command
 * with shell metacharacters (the poststop's `|| true`) through /bin/sh -c, the others split on blanks.
 */

export interface JailConfHook {
  /** exec.created or exec.poststop. */
  param: 'exec.created' | 'exec.poststop'
  command: string
}

export function resourceHooks(record: Pick<JailRecord, 'name' | 'limits' | 'cpuset'>): JailConfHook[] {
  const hooks: JailConfHook[] = []
  const created = (program: string, argv: string[]) =>
    hooks.push({param: 'exec.created', command: [program, ...argv].join(' ')})
  if (record.cpuset !== undefined) created('cpuset', cpusetArgv(record.name, record.cpuset))
  const limits = record.limits ?? []
  for (const rule of limits) created('rctl', rctlAddArgv(record.name, rule))
  // rctl -r exits 1 when no rule matches (ESRCH: removed by hand): the jail is gone by then, so its stop succeeded.
  if (limits.length > 0) {
    hooks.push({param: 'exec.poststop', command: `${['rctl', ...rctlRemoveArgv(record.name)].join(' ')} || true`})
  }
  return hooks
}
