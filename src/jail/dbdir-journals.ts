// The JSON journals and notes tsez keeps in its dbdir while it works (PREFIX-NAME.json): listed, and read back whole.
import {readFile, readdir} from 'node:fs/promises'
import path from 'node:path'

/** The files PREFIX*.json in DBDIR, by path, sorted; none when DBDIR is missing. */
export async function journalFilesIn(dbdir: string, prefix: string): Promise<string[]> {
  return (await readdir(dbdir).catch(() => [] as string[]))
    .filter((file) => file.startsWith(prefix) && file.endsWith('.json'))
    .sort()
    .map((file) => path.join(dbdir, file))
}

/**
 * FILE's JSON when IS_WHOLE takes it; undefined when FILE is missing, unreadable or not such a journal. Journals are
 * written with writeFileAtomic (renamed into place): a half-written one is a temp file, never FILE.
 */
export async function readJournalFile<T>(
  file: string,
  isWhole: (parsed: Partial<T>) => boolean,
): Promise<T | undefined> {
  try {
    const parsed = JSON.parse(await readFile(file, 'utf8')) as Partial<T>
    return isWhole(parsed) ? (parsed as T) : undefined
  } catch {
    return undefined
  }
}
