// start, stop and restart settle what an interrupted tsez rollback left: its jail started as asked, or kept stopped.
import type {TsezConfig} from '../config.js'
import {reportRollbackNotes} from '../jail/recover.js'
import {describeRollbackNote, readRollbackNotes, removeRollbackNote} from '../jail/rollback-journal.js'
import type {Deps} from '../system/deps.js'

/**
 * The notes of TARGETS go (start and restart start those jails, stop keeps them stopped: the admin decided), each
 * with a line; stale notes are removed and those of other jails warned about. Call it holding the host lock.
 */
export async function settleRollbackNotes(
  config: TsezConfig,
  command: 'start' | 'stop' | 'restart',
  targets: readonly string[],
  deps: Pick<Deps, 'run' | 'log'>,
): Promise<void> {
  await reportRollbackNotes(config, deps, {settled: (name) => targets.includes(name)})
  for (const note of await readRollbackNotes(config)) {
    if (!targets.includes(note.name)) continue
    await removeRollbackNote(config, note.name)
    const settled = command === 'stop' ? 'it stays stopped, as tsez stop asks' : `tsez ${command} starts it again`
    deps.log.info(`${describeRollbackNote(note)}; ${settled}`)
  }
}
