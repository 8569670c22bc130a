/** Whether a process still runs, for the browser sign-in listener's PID. */
import { readFileSync } from 'node:fs'

/**
 * True when `pid` exists and is not a zombie. Signal 0 checks existence without signalling;
 * on Linux an exited but not yet reaped process (a detached listener waits for init to reap it,
 * about a second here) still answers signal 0, so /proc/<pid>/stat is read for its state.
 */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // Format: "pid (comm) S ..."; comm may contain spaces or parentheses, so split at the last ")".
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
  } catch {
    return true // no /proc (macOS): signal 0 is the best answer available
  }
}
