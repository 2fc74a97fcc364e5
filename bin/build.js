#!/usr/bin/env node
// The release build: esbuild bundles the commands, the core and oclif into dist/, shared chunks split out.
import {build} from 'esbuild'
import {readdirSync, rmSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const packageRoot = fileURLToPath(new URL('..', import.meta.url))

/**
 * Bundles into OUTDIR (default dist/): dist/commands/NAME.js per command (what oclif.manifest.json names),
 * dist/src/cli/oclif.js (bin/run.js's execute) and dist/src/cli/command-not-found.js (the hook package.json
 * names), with code shared between them in dist/chunks/. One bundled @oclif/core and execa instead of ~300
 * module files saves about a fifth of every command's start-up.
 */
export async function buildRelease(outdir = path.join(packageRoot, 'dist')) {
  rmSync(outdir, {recursive: true, force: true})
  // commands/import/ezjail.ts is `tsez import ezjail`: topics are subdirectories.
  const commands = readdirSync(path.join(packageRoot, 'commands'), {recursive: true})
    .filter((file) => file.endsWith('.ts'))
    .map((file) => path.join(packageRoot, 'commands', file))
  await build({
    absWorkingDir: packageRoot,
    entryPoints: [
      ...commands,
      path.join(packageRoot, 'src/cli/oclif.ts'),
      path.join(packageRoot, 'src/cli/command-not-found.ts'),
      path.join(packageRoot, 'src/cli/help.ts'),
    ],
    outbase: packageRoot,
    outdir,
    entryNames: '[dir]/[name]',
    chunkNames: 'chunks/[name]-[hash]',
    bundle: true,
    splitting: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    // oclif loads these only in development mode, to run TypeScript sources.
    external: ['typescript', 'tsx', 'ts-node'],
    // CommonJS dependencies (oclif, semver...) call require() for Node's built-in modules.
    banner: {
      js: "import {createRequire as tsezCreateRequire} from 'node:module'; const require = tsezCreateRequire(import.meta.url);",
    },
    // A third less source to read and decode at every start; names are kept, so stack traces still name functions.
    minifyWhitespace: true,
    minifySyntax: true,
    logLevel: 'warning',
  })
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await buildRelease(process.argv[2] ? path.resolve(process.argv[2]) : undefined)
}
