/**
 * chatgpt-codex-onboarding: sign an agent in to a ChatGPT subscription and register its
 * `openai-codex/*` models. Every function resolves to `{ok: true, ...}` or
 * `{ok: false, error, code, hint, retryable}` and never throws. Each output's fields are described
 * by `schemas/<function>.json`; the glossary is docs/contract.md.
 *
 * As a command line: `npx tsx exports.ts <function> [--flag value ...]`.
 */
import { realpathSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { setEntry } from './src/proc.js'
import { invoke } from './src/cli/invoke.js'
import type { Result } from './src/result.js'

// The browser sign-in listener is this same file run with a hidden command.
setEntry(fileURLToPath(import.meta.url))

export type { ErrorCode, Failure, Result } from './src/result.js'
export { ERROR_CODES } from './src/result.js'

type R = Promise<Result<Record<string, unknown>>>

/**
 * Signed in? Who, which plan, token expiry, pending login. Reads disk only; no request.
 * Never throws: a failure is a result `{ok: false, code}` with the codes of `status` in src/skill/status.ts (`state_corrupt`, `state_unsafe`).
 */
export const status = (opts?: Record<string, never>): R => invoke('status', opts)

/**
 * Begins sign-in and returns the verification URL and user code (device method), or the
 * authorize URL (browser method). Never polls. `force` starts over.
 * Never throws: a failure is a result `{ok: false, code}` with the codes of `start` in src/skill/start.ts, plus `invalid_argument`.
 * @see docs/protocol.md#2-device-code-flow
 */
export const start = (opts?: { force?: boolean; method?: 'device' | 'browser' }): R =>
  invoke('start', opts)

/**
 * One check of the pending sign-in; call only after the user says they approved.
 * Never throws: a failure is a result `{ok: false, code}` with the codes of `poll` in src/skill/poll.ts (`no_pending_login`, `device_code_expired`, ...).
 * @see docs/protocol.md#step-3-poll
 */
export const poll = (opts?: { pending_id?: string }): R => invoke('poll', opts)

/**
 * Paste fallback of the browser sign-in: `url` is the address the browser ended on after the
 * user approved (`http://127.0.0.1:1455/auth/callback?code=...&state=...`). Checks the state,
 * exchanges the code and stores the sign-in. `state_mismatch` when it belongs to another attempt.
 * Never throws: a failure is a result `{ok: false, code}` with the codes of `callback` in src/skill/callback.ts.
 * @see docs/protocol.md#32-callback-server
 */
export const callback = (opts: { url: string }): R => invoke('callback', opts)

/**
 * Rotates the tokens now, under the cross-process lock.
 * Never throws: a failure is a result `{ok: false, code}` with the codes of `refresh` in src/skill/refresh.ts (`refresh_token_*`, `lock_timeout`, ...).
 * @see docs/protocol.md#4-token-refresh
 */
export const refresh = (opts?: Record<string, never>): R => invoke('refresh', opts)

/**
 * Revokes (best effort) and removes the stored sign-in and any pending login.
 * Never throws: a failure is a result `{ok: false, code}` with the codes of `logout` in src/skill/logout.ts (`state_unsafe`, `lock_timeout`).
 */
export const logout = (opts?: Record<string, never>): R => invoke('logout', opts)

/**
 * Read-only health report: state file and directory modes, stale locks, clock skew, pending
 * login age, schema versions, conflicting env vars, registry consistency. Each finding is
 * `{id, severity, message, hint}`; the verdict is `health`. No request unless `online` (one authenticated usage call).
 * Never throws: a failure is a result `{ok: false, code}` with the codes of `doctor` in src/skill/doctor.ts (problems are findings, not failures).
 */
export const doctor = (opts?: { online?: boolean }): R => invoke('doctor', opts)

/**
 * The `openai-codex/*` models this sign-in can use: `{models_source: live|cache|fallback, fetched_at,
 * stale, models[{id, slug, display_name, context_window, reasoning_levels, default_reasoning,
 * input}]}`. Cached 300 s per account; `force` makes one request. Keeps the model registry
 * (and opted-in host files) in step.
 * Never throws: a failure is a result `{ok: false, code}` with the codes of `models` in src/skill/models.ts.
 * @see docs/protocol.md#7-models-list-endpoint
 */
export const models = (opts?: { force?: boolean }): R => invoke('models', opts)

/**
 * Plan, limit windows labelled by length ("5h", "weekly") with used_percent and resets_at, and
 * credits (`balance` a number). Cached 60 s per account (`usage_source`); `force` makes one request.
 * Never throws: a failure is a result `{ok: false, code}` with the codes of `usage` in src/skill/usage.ts.
 * @see docs/protocol.md#81-usage-endpoint
 */
export const usage = (opts?: { force?: boolean }): R => invoke('usage', opts)

/**
 * Credential helper for HOST processes (the registry's credential command): `{token,
 * expires_at, account_id, headers}`, refreshed under the lock when near expiry. The only
 * function whose result carries a token: never call it from a chat or print its result.
 * Never throws: a failure is a result `{ok: false, code}` with the codes of `token` in src/skill/token.ts.
 * @see docs/protocol.md#4-token-refresh
 */
export const token = (opts?: { format?: 'json' | 'raw' | 'openclaw-exec' }): R =>
  invoke('token', opts)

/**
 * One tiny request ("reply with OK") to prove the signed-in model answers: `{model, output_text,
 * latency_ms, usage, models_source}`. Exactly one responses request, plus a refresh if one is due.
 * Never throws: a failure is a result `{ok: false, code}` with the codes of `verify` in src/skill/verify.ts (`model_not_available`, ...).
 * @see docs/protocol.md#9-responses-endpoint-with-chatgpt-auth
 */
export const verify = (opts?: { model?: string }): R => invoke('verify', opts)

/**
 * The loopback OpenAI-compatible gateway. `{detach: true}` starts it in the background and
 * returns `{url, pid, port, key_file, ui_url}`; `{stop: true}` stops it; `{ui_url: true}` mints
 * a fresh one-time page link. Without those it runs in this process until SIGTERM.
 * Never throws: a failure is a result `{ok: false, code}` with the codes of `serve` in src/skill/serve.ts (`gateway_not_running`, `invalid_argument`, ...).
 */
export const serve = (opts?: {
  port?: number
  detach?: boolean
  stop?: boolean
  ui_url?: boolean
  cors_origin?: string
}): R => invoke('serve', opts)

/**
 * Credential helper for HOST PROCESSES that call the gateway, like `token`: `{key, key_file}`,
 * the gateway's local key (created on first use). On the command line `gateway-key` prints the
 * bare key on one line (the registry's keyCommand reads stdout as the API key). Never call it
 * from a chat or print its result.
 * Never throws: a failure is a result `{ok: false, code}` (`state_corrupt`, `state_unsafe`, `lock_timeout`).
 */
export const gatewayKey = (opts?: Record<string, never>): R => invoke('gateway-key', opts)

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
