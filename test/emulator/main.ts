/**
 * Runs the emulator as its own process: `npx tsx test/emulator/main.ts [--port N]
 * [--exit-on-stdin-close]`. Prints one JSON line `{"url", "pid"}`; drive it with /__emu/*.
 */
import { startEmulator } from './index.js'

const args = process.argv.slice(2)
const portArg = args.indexOf('--port')
const port = portArg >= 0 ? Number(args[portArg + 1]) : 0
const emu = await startEmulator({ port })
process.stdout.write(`${JSON.stringify({ url: emu.url, pid: process.pid })}\n`)
const stop = () => void emu.close().then(() => process.exit(0))
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
if (args.includes('--exit-on-stdin-close')) {
  process.stdin.on('end', stop)
  process.stdin.resume()
}
