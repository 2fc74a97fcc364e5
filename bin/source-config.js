// oclif configuration that loads commands from the TypeScript sources (development, tests, demo), never from the
// committed oclif.manifest.json, which points at the compiled dist/ that a packaged release runs.
import {Config, Plugin} from '@oclif/core'
import {fileURLToPath} from 'node:url'

export const packageRoot = fileURLToPath(new URL('..', import.meta.url))

export async function sourceConfig() {
  const plugins = new Map()
  const roots = [
    {root: packageRoot, isRoot: true},
    {root: fileURLToPath(new URL('node_modules/@oclif/plugin-help/', new URL('..', import.meta.url))), type: 'core'},
  ]
  for (const options of roots) {
    const plugin = new Plugin({...options, ignoreManifest: true})
    await plugin.load()
    plugins.set(plugin.name, plugin)
  }
  return Config.load({root: packageRoot, plugins})
}
