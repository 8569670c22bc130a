/**
 * The script that runs this tool (exports.ts from source, dist/cli.cjs when bundled). Detached
 * helpers (the browser sign-in listener) re-run it with a hidden command, so it must be the
 * facade's own file, not `process.argv[1]` (which is the host's script when the facade is
 * imported as a library).
 */
let entry: string | undefined

/** Called once by the facade with its own path. */
export function setEntry(path: string): void {
  entry ??= path
}

/** The registered entry, else the running script. */
export const getEntry = (): string | undefined => entry ?? process.argv[1]

/**
 * The argv that re-runs this tool in a child process: node with this process's loader flags
 * (tsx's, when run from source; none for the bundle) and the entry, so the child is node itself
 * and its PID is the process that does the work.
 */
export function selfArgv(args: string[]): string[] | null {
  const e = getEntry()
  if (!e) return null
  return [...process.execArgv.filter((a) => !/^--(inspect|debug)/.test(a)), e, ...args]
}
