// tsez's mark on the files it writes for a jail (its first line), and telling tsez's files from a user's.
import {open} from 'node:fs/promises'

/** The first line of every jail.conf and fstab tsez writes for NAME starts with this; jail(8) reads it as a comment. */
export function ownershipMark(name: string): string {
  return `# Jail ${name}, written by tsez`
}

export type Ownership = 'missing' | 'tsez' | 'foreign'

/** Whether FILE (NAME's conf or fstab) is absent, written by tsez (its first line), or someone else's. */
export async function ownershipOf(file: string, name: string): Promise<Ownership> {
  let handle
  try {
    handle = await open(file, 'r')
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : 'foreign'
  }
  try {
    const buffer = Buffer.alloc(200)
    const {bytesRead} = await handle.read(buffer, 0, buffer.length, 0)
    const head = buffer.subarray(0, bytesRead).toString('utf8')
    return head.startsWith(ownershipMark(name)) ? 'tsez' : 'foreign'
  } finally {
    await handle.close()
  }
}
