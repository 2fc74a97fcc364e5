// Progress on stderr: an ora spinner on a terminal, plain lines otherwise, nothing at all under --json.
import type {Ora} from 'ora'

export interface Step {
  update(text: string): void
  succeed(text: string): void
  fail(text: string): void
}

export interface Progress {
  step(text: string): Step
}

export interface ProgressOptions {
  stream: NodeJS.WriteStream
  silent: boolean
}

const silentStep: Step = {update() {}, succeed() {}, fail() {}}

export function createProgress({stream, silent}: ProgressOptions): Progress {
  if (silent) return {step: () => silentStep}
  // ora spins forever on a pty reporting 0 columns (toolchain.md §6): only a real, sized terminal gets a spinner.
  const interactive = Boolean(stream.isTTY) && (stream.columns ?? 0) > 0
  if (!interactive) return {step: (text) => plainStep(stream, text)}
  return {step: (text) => spinnerStep(stream, text)}
}

/** Without a terminal: the start line, updates at most every 2 s, and the final line. */
function plainStep(stream: NodeJS.WritableStream, text: string): Step {
  stream.write(`${text}\n`)
  let last = Date.now()
  return {
    update(line) {
      const now = Date.now()
      if (now - last < 2000) return
      last = now
      stream.write(`  ${line}\n`)
    },
    succeed: (line) => stream.write(`${line}\n`),
    fail: (line) => stream.write(`${line}\n`),
  }
}

function spinnerStep(stream: NodeJS.WriteStream, text: string): Step {
  let spinner: Ora | undefined
  let pending = text
  let finished = false
  void import('ora').then(({default: ora}) => {
    if (!finished) spinner = ora({text: pending, stream, isEnabled: true}).start()
  })
  const finish = (symbol: 'succeed' | 'fail', line: string) => {
    finished = true
    if (spinner) spinner[symbol](line)
    else stream.write(`${line}\n`)
  }
  return {
    update(line) {
      pending = `${text} ${line}`
      if (spinner) spinner.text = pending
    },
    succeed: (line) => finish('succeed', line),
    fail: (line) => finish('fail', line),
  }
}
