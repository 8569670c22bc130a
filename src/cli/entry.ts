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
