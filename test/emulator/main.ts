/**
 * The emulator as its own process:
 * `npx tsx test/emulator/main.ts [--port N] [--tls-key key.pem --tls-cert cert.pem] [--exit-on-stdin-close]`.
 * Prints one JSON line `{"url","pid"}` on stdout; drive it with the /__emu/* routes. Exits on
 * SIGTERM/SIGINT, or when stdin closes with --exit-on-stdin-close (so a crashed parent never
 * leaves it behind).
 */
import { readFileSync } from 'node:fs'
import { startEmulator } from './index.js'

const args = process.argv.slice(2)
const opt = (name: string) => {
  const i = args.indexOf(name)
  return i >= 0 ? args[i + 1] : undefined
}
const key = opt('--tls-key')
const cert = opt('--tls-cert')
const emu = await startEmulator({
  port: Number(opt('--port') ?? 0),
  tls: key && cert ? { key: readFileSync(key), cert: readFileSync(cert) } : undefined,
})
process.stdout.write(`${JSON.stringify({ url: emu.url, pid: process.pid })}\n`)

let stopping = false
const stop = () => {
  if (stopping) return
  stopping = true
  void emu.close().then(() => process.exit(0))
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
if (args.includes('--exit-on-stdin-close')) {
  process.stdin.on('end', stop)
  process.stdin.on('close', stop)
  process.stdin.resume()
}
