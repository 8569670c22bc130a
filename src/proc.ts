/**
 * Process helpers every layer may use: whether a PID still runs, and the argv that re-runs this
 * tool in a child (the browser sign-in listener, the detached gateway). Ground floor: imports
 * nothing from the project.
 */
import { readFileSync, realpathSync } from 'node:fs'

/**
 * True when `pid` exists and is not a zombie. Signal 0 checks existence without signalling;
 * on Linux an exited but not yet reaped process (a detached listener waits for init to reap it,
 * about a second here) still answers signal 0, so /proc/<pid>/stat is read for its state.
 * Never throws.
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

/**
 * The script that runs this tool (exports.ts from source, dist/cli.cjs when bundled). Detached
 * helpers (the browser sign-in listener) re-run it with a hidden command, so it must be the
 * facade's own file, not `process.argv[1]` (which is the host's script when the facade is
 * imported as a library).
 */
let entry: string | undefined

/** Records the facade's own path; called once by exports.ts. The first call wins. Never throws. */
export function setEntry(path: string): void {
  entry ??= path
}

/** The registered entry, else the running script. Never throws. */
export const getEntry = (): string | undefined => entry ?? process.argv[1]

/**
 * The argv that re-runs this tool in a child process: node with this process's loader flags
 * (tsx's, when run from source; none for the bundle) and the entry, so the child is node itself
 * and its PID is the process that does the work. Null when no entry is known. Never throws.
 */
export function selfArgv(args: string[]): string[] | null {
  const e = getEntry()
  if (!e) return null
  return [...process.execArgv.filter((a) => !/^--(inspect|debug)/.test(a)), e, ...args]
}

/**
 * The command line that runs this tool's function `fn` from any working directory, for hints
 * and page texts: `node <abs>/dist/cli.cjs <fn>` when running the installed entry, `npx tsx
 * <abs>/exports.ts <fn>` from source (a developer's way). Computed from the running entry, so
 * what the agent reads is what works on this machine. Never throws.
 * @see docs/contract.md#commands-in-hints
 */
export function commandLine(fn: string, ...args: string[]): string {
  let e = getEntry() ?? 'dist/cli.cjs'
  try {
    e = realpathSync(e) // an npm bin symlink resolves to the package's dist/cli.cjs
  } catch {
    /* keep the path as given */
  }
  const q = (s: string) =>
    /^[A-Za-z0-9_\/.:=@%+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`
  const base = e.endsWith('.ts') ? `npx tsx ${q(e)}` : `node ${q(e)}`
  return [base, fn, ...args].join(' ')
}
