/**
 * chatgpt-codex-onboarding: sign an agent in to a ChatGPT subscription and register its
 * `openai-codex/*` models. Every function resolves to `{ok: true, ...}` or
 * `{ok: false, error, code, hint, retryable}` and never throws.
 *
 * As a command line: `npx tsx exports.ts <function> [--flag value ...]`.
 */
import { realpathSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { invoke } from './src/cli/invoke.js'
import type { Result } from './src/result.js'

export type { ErrorCode, Failure, Result } from './src/result.js'
export { ERROR_CODES } from './src/result.js'

type R = Promise<Result<Record<string, unknown>>>

/** Signed in? Who, which plan, token expiry, pending login. Reads disk only; no request. */
export const status = (opts?: Record<string, never>): R => invoke('status', opts)

/**
 * Begins sign-in and returns the verification URL and user code (device method), or the
 * authorize URL (browser method). Never polls. `force` starts over.
 */
export const start = (opts?: { force?: boolean; method?: 'device' | 'browser' }): R => invoke('start', opts)

/** One check of the pending sign-in; call only after the user says they approved. */
export const poll = (opts?: { pending_id?: string }): R => invoke('poll', opts)

/** Rotates the tokens now, under the cross-process lock. */
export const refresh = (opts?: Record<string, never>): R => invoke('refresh', opts)

/** Revokes (best effort) and removes the stored sign-in and any pending login. */
export const logout = (opts?: Record<string, never>): R => invoke('logout', opts)

/**
 * Read-only health report: state file and directory modes, stale locks, clock skew, pending
 * login age, schema versions, conflicting env vars, registry consistency. Each finding is
 * `{id, severity, message, fix}`. No request unless `online` (one authenticated usage call).
 */
export const doctor = (opts?: { online?: boolean }): R => invoke('doctor', opts)

function isMain(): boolean {
  const entry = process.argv[1]
  if (!entry) return false
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url))
  } catch {
    return false
  }
}

if (isMain()) {
  const { main } = await import('./src/cli/main.js')
  process.exitCode = await main(process.argv.slice(2))
}
