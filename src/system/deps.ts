// The injected effects every service receives: programs, progress, messages, time, environment.
import type {Progress} from '../ui/progress.js'
import type {Clock} from './clock.js'
import type {CopyFs} from './copy-tree.js'
import type {CommandRunner} from './runner.js'

export interface Log {
  /** Informational line on stderr (silent under --json). */
  info(message: string): void
  /** Warning on stderr (shown under --json too: it never touches stdout). */
  warn(message: string): void
}

export interface Deps {
  run: CommandRunner
  log: Log
  progress: Progress
  clock: Clock
  /** The per-file copy tree copies use (tests inject failures here). */
  fs: CopyFs
  env: NodeJS.ProcessEnv
  /** Where tsez's own shipped files live (flavours/, rc.d/). */
  packageRoot: string
}
