/**
 * A child process for the lock tests: takes the credentials lock of a state directory through
 * the project's own `withLock` and holds it until killed, printing "locked" once it has it.
 *
 * Usage: tsx lock-holder.ts <state-dir> <stale-ms>
 */
import { mkdirSync } from 'node:fs'
import { withLock } from '../../src/store/lock.js'
import { statePaths } from '../../src/store/paths.js'

const [home, stale] = process.argv.slice(2)
if (!home || !stale) throw new Error('usage: lock-holder <state-dir> <stale-ms>')
mkdirSync(home, { recursive: true, mode: 0o700 })
await withLock(statePaths(home).credentialsLock, { staleMs: Number(stale), waitMs: 0 }, () => {
  process.stdout.write('locked\n')
  // Held (and kept fresh by proper-lockfile) until the test kills this process.
  return new Promise<never>(() => setInterval(() => {}, 1 << 30))
})
