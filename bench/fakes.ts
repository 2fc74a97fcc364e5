// The benches' lean stand-ins (bench/fakes: jail, etcupdate) first on PATH, ahead of the test fakes.
import {spawn} from 'node:child_process'
import {fileURLToPath} from 'node:url'

export const LEAN_FAKES_DIR = fileURLToPath(new URL('./fakes', import.meta.url))

/** ENV with the lean fakes first on PATH: they only log their argv and sleep for their PROGRAM.sleep knob. */
export function withLeanFakes(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return {...env, PATH: `${LEAN_FAKES_DIR}:${env.PATH ?? ''}`}
}

/**
 * The floor for running COMMANDS from node, PARALLEL at a time, with nothing of tsez: a bare pool of
 * child_process.spawn calls. On a machine where creating a process is slow it sits well above the ideal.
 */
export async function barePool(
  commands: Array<[string, ...string[]]>,
  parallel: number,
  env: NodeJS.ProcessEnv,
): Promise<number> {
  const started = performance.now()
  let next = 0
  const worker = async () => {
    while (next < commands.length) {
      const [file, ...args] = commands[next++]!
      await new Promise<void>((resolve, reject) => {
        const child = spawn(file, args, {env, stdio: ['ignore', 'pipe', 'pipe']})
        child.stdout.resume()
        child.stderr.resume()
        child.on('error', reject)
        child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${file} exited ${code}`))))
      })
    }
  }
  await Promise.all(Array.from({length: parallel}, worker))
  return (performance.now() - started) / 1000
}
