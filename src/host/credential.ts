/**
 * The credential command hosts run to get a bearer token (`token`). One place builds its argv so
 * the registry, pi and OpenClaw all point at the same entry.
 */
import { existsSync } from 'node:fs'
import { isAbsolute, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Ctx } from '../context.js'

/**
 * The project root (this file is `<root>/src/host/credential.ts`). A function, not a constant:
 * `status` and `token` load this module but never need the root, and URL parsing at module
 * load cost every cold process ~0.5 ms.
 */
const projectRoot = () => fileURLToPath(new URL('../../', import.meta.url))

/**
 * argv of the credential helper: the prebuilt `dist/cli.cjs` (the package's `bin`) when it exists (fast start), else
 * `npx tsx exports.ts token`. An argv array, never a shell string.
 * Never throws.
 */
export function credentialCommand(_ctx: Ctx): string[] {
  const root = projectRoot()
  const built = join(root, 'dist', 'cli.cjs')
  if (existsSync(built)) return [process.execPath, built, 'token']
  return ['npx', 'tsx', join(root, 'exports.ts'), 'token']
}

/** Environment variables the helper should see so it finds this same sign-in (no secrets). */
const PASS = [
  'CHATGPT_CODEX_STORE',
  'CODEX_HOME',
  'CHATGPT_CODEX_ISSUER',
  'CHATGPT_CODEX_BACKEND_URL',
  'CHATGPT_CODEX_TIMEOUT_MS',
  'CHATGPT_CODEX_CLOCK_OFFSET_MS',
] as const

/**
 * `CHATGPT_CODEX_HOME` always (hosts may run with another environment), plus any override in use.
 * Never throws.
 */
export function credentialEnv(ctx: Ctx): Record<string, string> {
  const env: Record<string, string> = { CHATGPT_CODEX_HOME: ctx.config.home }
  for (const k of PASS) {
    const v = ctx.config.env[k]
    if (v) env[k] = v
  }
  return env
}

/**
 * POSIX single-quoting for hosts that take a shell string (pi's `!command`).
 * Never throws.
 */
export const shellQuote = (s: string) =>
  /^[A-Za-z0-9_\/.:=@%+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`

/**
 * The helper as one shell command line: `cd <root>` when it relies on `npx` finding the local
 * tsx, the environment assignments, then the quoted argv and `extra` arguments.
 * Never throws.
 */
export function credentialShell(ctx: Ctx, extra: string[]): string {
  const argv = credentialCommand(ctx)
  const env = Object.entries(credentialEnv(ctx)).map(([k, v]) => `${k}=${shellQuote(v)}`)
  const cmd = [...env, ...[...argv, ...extra].map(shellQuote)].join(' ')
  return isAbsolute(argv[0] ?? '') ? cmd : `cd ${shellQuote(projectRoot())} && ${cmd}`
}
