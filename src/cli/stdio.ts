/**
 * How the bundled entries (bin.ts, hot.ts) print and exit: the cheapest way a cold process can.
 */
import { writeSync } from 'node:fs'

/**
 * stdout without `process.stdout`: creating that stream loads net/stream internals (several
 * ms of a cold start). fd 1 is still blocking here because nothing set up the stream; if a
 * write fails anyway (EAGAIN on a non-blocking pipe), the rest goes through the stream.
 * Never throws.
 */
export function toFd1(text: string): void {
  const buf = Buffer.from(text)
  let off = 0
  try {
    while (off < buf.length) off += writeSync(1, buf, off)
  } catch {
    process.stdout.write(buf.subarray(off))
  }
}

/**
 * Sets the exit status and, once nothing is left to run (no server, timer, socket or buffered
 * stdout write), exits at once. A natural exit first waits for V8's background tasks (after a
 * request, ~200 ms of compiling undici's code that will never run again) and tears down the
 * heap (~3 ms of every cold run). Checked from the next macrotask: inside the microtasks of an
 * fs callback (a lock release) that request still counts as active. A foreground `serve` keeps
 * its listening socket, so it is left to run.
 * Never throws.
 */
export function finish(code: number): void {
  process.exitCode = code
  setImmediate(() => {
    if (process.getActiveResourcesInfo().length === 0) process.exit()
  })
}
