// The benches' floor: runs the JSON argv's commands PARALLEL at a time from a plain node process, prints seconds.
import {spawn} from 'node:child_process'

const {commands, parallel} = JSON.parse(process.argv[2])
const started = performance.now()
let next = 0
const worker = async () => {
  while (next < commands.length) {
    const [file, ...args] = commands[next++]
    await new Promise((resolve, reject) => {
      const child = spawn(file, args, {stdio: ['ignore', 'pipe', 'pipe']})
      child.stdout.resume()
      child.stderr.resume()
      child.on('error', reject)
      child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${file} exited ${code}`))))
    })
  }
}
await Promise.all(Array.from({length: parallel}, worker))
process.stdout.write(String((performance.now() - started) / 1000))
