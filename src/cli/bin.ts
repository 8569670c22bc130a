/**
 * Entry of the prebuilt bundle (`dist/app.cjs`, run by `dist/cli.cjs`). The same CLI as
 * `npx tsx exports.ts`: everything the command table reaches is in the bundle, and each
 * command's code is evaluated only when that command runs.
 */
import { writeSync } from 'node:fs'
import { main } from './main.js'

/**
 * stdout without `process.stdout`: creating that stream loads net/stream internals (several
 * ms of a cold start). fd 1 is still blocking here because nothing set up the stream; if a
 * write fails anyway (EAGAIN on a non-blocking pipe), the rest goes through the stream.
 */
function toFd1(text: string): void {
  const buf = Buffer.from(text)
  let off = 0
  try {
    while (off < buf.length) off += writeSync(1, buf, off)
  } catch {
    process.stdout.write(buf.subarray(off))
  }
}

// CommonJS output has no top-level await.
void main(process.argv.slice(2), toFd1).then((code) => {
  process.exitCode = code
  // With nothing left to run (no server, timer or buffered stdout write), exit now: a natural
  // exit also tears down the V8 heap, ~3 ms of every cold run. A foreground `serve` keeps its
  // listening socket, so it is left to run.
  if (process.getActiveResourcesInfo().length === 0) process.exit()
})
