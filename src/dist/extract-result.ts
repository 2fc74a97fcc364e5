// What a tar extraction reports: its progress and its result (shared by extract.ts and its engine).

export interface ExtractProgress {
  /** Archive entries handled so far. */
  entries: number
  /** Uncompressed tar bytes consumed so far. */
  bytes: number
}

export interface ExtractResult {
  /** Archive entries processed: the MANIFEST's count, `tar tvf | wc -l`. */
  entries: number
  /** SCHILY.fflags per path (relative, no leading ./ or trailing /), in archive order; the caller applies them. */
  flags: Array<{path: string; flags: string}>
  /** Device nodes and FIFOs: counted in `entries` but not created (FreeBSD base has none, devfs provides them). */
  skipped: string[]
  /** With `fifos`: the FIFOs, their paths reserved and parents made; the caller makes them (mkfifo) and sets this. */
  fifos: Array<{path: string} & EntryMeta>
  /** Every path the destination now holds from this and earlier extractions (for the next set: `over`). */
  tree: ExtractedTree
  /** With a gate: what its checks saw (see archive-rules.ts). */
  checked?: CheckedArchive
}

/** What a gated extraction's checks saw: the members under the tree member, and that member's times. */
export interface CheckedArchive {
  entries: number
  treeTimes?: {atime: Date; mtime: Date}
}

/** Relative path → what an extraction made there ('' is the destination itself). */
export type ExtractedTree = ReadonlyMap<string, Kind>

/** What an extraction made at a path. */
export type Kind = 'dir' | 'file' | 'symlink' | 'fifo'

export interface EntryMeta {
  mode: number
  uid: number
  gid: number
  atime: Date
  mtime: Date
}
