/** Bundles the release into OUTDIR (default: the package's dist/). */
export declare function buildRelease(outdir?: string): Promise<void>
