// Runs tsez commands in-process (oclif's runCommand) against the TypeScript sources, or as a real child process.
import {run, type Config} from '@oclif/core'
import {captureOutput} from '@oclif/test'
import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'

import {packageRoot, sourceConfig as loadSourceConfig} from '../../bin/source-config.js'

export {packageRoot}

let configPromise: Promise<Config> | undefined

/** The committed manifest points at compiled dist/: tests load the command classes from the sources instead. */
async function sourceConfig(): Promise<Config> {
  configPromise ??= loadSourceConfig()
  return configPromise
}

export interface CliResult {
  stdout: string
  stderr: string
  exitCode: number
}

/** In-process run with the given environment overlay (PATH with the fake programs, TSEZ_CONFIG...). */
export async function tsez(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  const saved = {...process.env}
  Object.assign(process.env, env)
  process.exitCode = undefined
  try {
    const config = await sourceConfig()
    // Not runCommand: it joins argv with spaces and splits it again, which breaks arguments containing spaces.
    const {stdout, stderr, error} = await captureOutput(async () => run(args, config))
    const exitCode =
      (error as {oclif?: {exit?: number}} | undefined)?.oclif?.exit ?? Number(process.exitCode ?? (error ? 1 : 0))
    return {stdout, stderr, exitCode}
  } finally {
    process.exitCode = undefined
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key]
    Object.assign(process.env, saved)
  }
}

/** `tsez ARGS` in-process, which must succeed (exit 0; else the assertion names the arguments and stderr). */
export async function tsezOk(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  const result = await tsez(args, env)
  assert.equal(result.exitCode, 0, `${args.join(' ')}: ${result.stderr}`)
  return result
}

/** A real `bin/dev.js` process (needed for signals, TTY-less stdio, and exit statuses as the shell sees them). */
export function spawnTsez(args: string[], env: NodeJS.ProcessEnv) {
  return spawnNode(['--import', 'tsx', `${packageRoot}/bin/dev.js`, ...args], {NODE_ENV: 'development', ...env})
}

/** `node ARGV` with process.env plus ENV, stdin closed, its output collected for the result. */
export function spawnNode(argv: string[], env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, argv, {env: {...process.env, ...env}, stdio: ['ignore', 'pipe', 'pipe']})
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  const done = new Promise<CliResult>((resolve) =>
    child.on('close', (code, signal) => resolve({stdout, stderr, exitCode: code ?? (signal ? 128 : 1)})),
  )
  return {child, done}
}
