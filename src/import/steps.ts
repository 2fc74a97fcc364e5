// What the admin does after `tsez import ezjail` (or its --undo): the rc.conf switch and the running jails.
import type {TsezConfig} from '../config.js'
import type {EzjailHost} from '../jail/ezjail-host.js'
import type {ImportPlan} from './ezjail-plan.js'

/** The remaining steps, one line each, for the jails PLAN imports; RUNNING are the jail names jls shows. */
export function nextSteps(
  config: TsezConfig,
  host: EzjailHost,
  plan: ImportPlan,
  running: {has(name: string): boolean},
): string[] {
  if (plan.jails.length === 0) return []
  const steps = ['sysrc ezjail_enable=NO tsez_enable=YES  # tsez starts them at boot from now on']
  const up = plan.jails.filter((r) => running.has(r.name)).map((r) => r.name)
  if (up.length > 0) {
    steps.push(
      `running now, adopted as running: ${up.join(' ')}; \`tsez restart NAME\` when convenient starts each from ` +
        "tsez's jail.conf (until then it runs as ezjail started it)",
    )
  }
  const down = plan.jails.filter((r) => !running.has(r.name) && r.run).map((r) => r.name)
  if (down.length > 0) steps.push(`tsez start ${down.join(' ')}`)
  if (host.flavours !== config.flavours) {
    steps.push(
      `ezjail's flavours are in ${host.flavours}: set tsez_flavours="${host.flavours}" to use them with tsez create -f`,
    )
  }
  steps.push(
    `tsez import ezjail --undo  # the way back: forgets what the import wrote; ezjail's files were never changed`,
  )
  return steps
}

/** After --undo: the rc.conf switch back. */
export function undoSteps(forgotten: readonly string[]): string[] {
  if (forgotten.length === 0) return []
  return ['sysrc tsez_enable=NO ezjail_enable=YES  # ezjail starts them at boot again']
}
