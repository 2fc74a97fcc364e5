// tsez start: start jails in dependency order, up to N at once, each jail's result reported.
import {JailRunCommand} from '../src/cli/run-command.js'

export default class Start extends JailRunCommand {
  static override summary = 'Start jails: the named ones, or every jail marked run, dependencies first.'
  static override description = `Runs \`jail -f tsez_jailconf_dir/NAME.conf -c NAME\` for each jail, after the jails it depends on (which are started too), up to -p N at once. A running jail is left alone. Exit 1 when any jail failed.

Before starting, checks that the basejail is installed, that ROOT/basejail exists and that nothing is already mounted where the jail's fstab mounts. After a jail starts, its pending first-start scripts (from flavours) run once inside it.`
  static override examples = [
    {description: 'Every jail marked run, four at once', command: '<%= config.bin %> <%= command.id %> -p 4'},
    {description: 'One jail', command: '<%= config.bin %> <%= command.id %> web1'},
  ]

  protected readonly action = 'start'
}
