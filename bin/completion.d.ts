/** completion/ file path -> its text, from the parsed oclif.manifest.json. */
export declare function renderCompletions(manifest: unknown): Record<string, string>
