// tsez restart: stop jails (dependents first), then start them again in dependency order.
import {JailRunCommand} from '../src/cli/run-command.js'

export default class Restart extends JailRunCommand {
  static override summary = 'Stop, then start jails again (dependents are stopped first and started after).'
  static override description = `Stops the jails (and the running jails that depend on them) in reverse dependency order, then starts the same jails in dependency order with the same checks and first-start scripts as \`tsez start\`. A stopped jail is just started. Exit 1 when any jail failed.`
  static override examples = [
    {description: 'Every jail marked run, four at once', command: '<%= config.bin %> <%= command.id %> -p 4'},
    {description: 'One jail', command: '<%= config.bin %> <%= command.id %> web1'},
  ]

  protected readonly action = 'restart'
}
