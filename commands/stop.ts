// tsez stop: stop jails, dependents first, up to N at once, each jail's result reported.
import {JailRunCommand} from '../src/cli/run-command.js'

export default class Stop extends JailRunCommand {
  static override summary = 'Stop jails: the named ones, or every jail marked run, dependents first.'
  static override description = `Runs \`jail -f tsez_jailconf_dir/NAME.conf -r NAME\` for each running jail, after the running jails that depend on it (which are stopped too), up to -p N at once. A stopped jail is left alone. Exit 1 when any jail failed.`
  static override examples = [
    {description: 'Every jail marked run, four at once', command: '<%= config.bin %> <%= command.id %> -p 4'},
    {description: 'One jail', command: '<%= config.bin %> <%= command.id %> web1'},
  ]

  protected readonly action = 'stop'
}
