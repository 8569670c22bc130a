/**
 * Reference columns: bare `node -e 0` (the floor of any Node program) and the Codex CLI's own
 * `codex login status`, via its npm launcher (a Node script that spawns the native binary) and
 * via the native binary directly, both from `@openai/codex` pinned in test/clients/ (installed
 * by the first `npm test`, or `npm ci --prefix test/clients`).
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import type { Cold } from './measure.js'
import { ROOT, type World } from './world.js'

const CLIENTS = join(ROOT, 'test', 'clients')

/** `@openai/codex` platform packages and their vendor triples (docs/codex-cli.md). */
const NATIVE: Record<string, [string, string]> = {
  'linux-x64': ['@openai/codex-linux-x64', 'x86_64-unknown-linux-musl'],
  'linux-arm64': ['@openai/codex-linux-arm64', 'aarch64-unknown-linux-musl'],
  'darwin-x64': ['@openai/codex-darwin-x64', 'x86_64-apple-darwin'],
  'darwin-arm64': ['@openai/codex-darwin-arm64', 'aarch64-apple-darwin'],
}

function nativeCodex(): string | undefined {
  const t = NATIVE[`${process.platform}-${process.arch}`]
  if (!t) return undefined
  const bin = join(CLIENTS, 'node_modules', t[0], 'vendor', t[1], 'bin', 'codex')
  return existsSync(bin) ? bin : undefined
}

export interface Reference {
  cases: Record<string, Cold>
  /** Columns that could not be measured, and why. */
  missing: string[]
}

export const NODE = 'node -e 0'
export const LAUNCHER = 'codex login status (npm launcher)'
export const NATIVE_CODEX = 'codex login status (native binary)'

export function referenceCases(w: World): Reference {
  const cases: Record<string, Cold> = {
    [NODE]: { argv: [process.execPath, '-e', '0'], env: w.plain },
  }
  const missing: string[] = []
  const launcher = join(CLIENTS, 'node_modules', '.bin', 'codex')
  // Signed out in a throwaway CODEX_HOME: prints "Not logged in" and exits 1, as the issue measured.
  if (existsSync(launcher)) cases[LAUNCHER] = { argv: [launcher, 'login', 'status'], env: w.plain }
  else
    missing.push(
      `${LAUNCHER}: test/clients/node_modules/.bin/codex is absent (npm ci --prefix test/clients)`,
    )
  const native = nativeCodex()
  if (native) cases[NATIVE_CODEX] = { argv: [native, 'login', 'status'], env: w.plain }
  else
    missing.push(
      `${NATIVE_CODEX}: the @openai/codex platform package is not installed in test/clients`,
    )
  return { cases, missing }
}
