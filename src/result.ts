/**
 * The result envelope every exported function returns, and the closed set of error codes.
 *
 * Nothing here throws to the caller: operations throw {@link SkillError} internally and the
 * facade turns any throwable into a {@link Failure} through {@link toFailure}, which is also
 * the one place where error text is scrubbed of secrets.
 */
import { commandLine } from './proc.js'
import { redact } from './redact.js'

/** Every code a failure may carry. Stable: hosts and agents switch on these, never on text. */
export const ERROR_CODES = [
  'not_signed_in',
  'no_pending_login',
  'pending_id_mismatch',
  'device_code_expired',
  'device_login_unavailable',
  'access_denied',
  'state_mismatch',
  'refresh_token_expired',
  'refresh_token_reused',
  'refresh_token_invalidated',
  'reauth_required',
  'rate_limited',
  'usage_limit_reached',
  'context_length_exceeded',
  'upstream_error',
  'upstream_rejected',
  'model_not_available',
  'timeout',
  'network_error',
  'proxy_error',
  'invalid_response',
  'state_corrupt',
  'state_unsafe',
  'state_readonly',
  'disk_full',
  'interrupted',
  'lock_timeout',
  'account_mismatch',
  'codex_api_key_mode',
  'listener_failed',
  'gateway_not_running',
  'invalid_argument',
  'invalid_config',
  'host_config_unrecognized',
  'internal_error',
] as const

export type ErrorCode = (typeof ERROR_CODES)[number]

/** Extra, JSON-serialisable fields a failure may carry (e.g. `retry_after_s`, `resets_at`). */
export type FailureExtra = Record<string, string | number | boolean | null | undefined>

/** The one error type used below the facade. `code` decides everything; `message` is for people. */
export class SkillError extends Error {
  readonly code: ErrorCode
  readonly hint: string
  readonly retryable: boolean
  readonly extra: FailureExtra

  constructor(
    code: ErrorCode,
    message: string,
    opts: { hint?: string; retryable?: boolean; extra?: FailureExtra; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause })
    this.name = 'SkillError'
    this.code = code
    this.hint = opts.hint ?? DEFAULT_HINTS[code](opts.extra ?? {})
    this.retryable = opts.retryable ?? RETRYABLE.has(code)
    this.extra = opts.extra ?? {}
  }
}

export type Success<T extends object = object> = { ok: true } & T
export type Failure = {
  ok: false
  error: string
  code: ErrorCode
  hint: string
  retryable: boolean
} & FailureExtra
export type Result<T extends object = object> = Success<T> | Failure

const RETRYABLE = new Set<ErrorCode>([
  'rate_limited',
  'upstream_error',
  'timeout',
  'network_error',
  'lock_timeout',
])

/** A command the agent can run as written, from any directory: `` `node <abs>/dist/cli.cjs fn` ``. */
export const run = (fn: string, ...args: string[]) => `\`${commandLine(fn, ...args)}\``

/**
 * "in 42 minutes" / "in 2 hours 5 minutes" / "in 30 seconds": a wait in seconds as people say
 * it, so a hint can carry both the relative phrase and the ISO instant. Never throws.
 */
export function inPhrase(seconds: number): string {
  const s = Math.max(0, Math.round(seconds))
  if (s < 90) return `in ${s} second${s === 1 ? '' : 's'}`
  const m = Math.round(s / 60)
  if (m < 120) return `in ${m} minutes`
  const h = Math.floor(m / 60)
  if (h < 48) return `in ${h} hours${m % 60 ? ` ${m % 60} minutes` : ''}`
  return `in ${Math.round(h / 24)} days`
}

/** "in 42 minutes, at 2026-12-03T09:12:00.000Z", or "at an unknown time". Never throws. */
export function whenPhrase(at: unknown, inS: unknown): string {
  if (typeof at !== 'string') return typeof inS === 'number' ? inPhrase(inS) : 'at an unknown time'
  return typeof inS === 'number' ? `${inPhrase(inS)}, at ${at}` : `at ${at}`
}

const relogin = () => `Run ${run('logout')}, then ${run('start')}, to sign in again.`

/** Default hints, built when the error is made: they name real commands and values. */
const DEFAULT_HINTS: Record<ErrorCode, (x: FailureExtra) => string> = {
  not_signed_in: () => `Not signed in. Run ${run('start')} to sign in with ChatGPT.`,
  no_pending_login: () => `There is no sign-in in progress. Run ${run('start')} first.`,
  pending_id_mismatch: (x) =>
    `That pending_id does not belong to the current sign-in${typeof x.pending_id === 'string' ? ` (${x.pending_id})` : ''}. Use ${typeof x.pending_id === 'string' ? run('poll', '--pending-id', x.pending_id) : run('poll')}, or run ${run('start')} again.`,
  device_code_expired: () => `The sign-in code expired. Run ${run('start')} again for a new code.`,
  device_login_unavailable: () =>
    `Device-code sign-in is turned off for this account. Ask the user to enable "device code authorization for Codex" in ChatGPT Settings > Security (workspace admins: workspace permissions), or use ${run('start', '--method', 'browser')}.`,
  access_denied: () =>
    `The sign-in was declined. Run ${run('start')} again if the user wants to retry.`,
  state_mismatch: () =>
    `That URL does not belong to the current browser sign-in. Ask the user for the URL of the latest attempt, or run ${run('start', '--method', 'browser')} again.`,
  refresh_token_expired: relogin,
  refresh_token_reused: relogin,
  refresh_token_invalidated: relogin,
  reauth_required: relogin,
  rate_limited: (x) =>
    `The server is rate limiting requests; it accepts them again ${whenPhrase(x.retry_at, x.retry_after_s)}. Tell the user, and try again on their next message after that, not in a loop.`,
  usage_limit_reached: (x) =>
    `The subscription usage limit is reached. It resets ${whenPhrase(x.resets_at, x.retry_after_s)}; until then the models refuse requests. Tell the user; ${run('usage')} shows the windows.`,
  upstream_error: () =>
    'The OpenAI service answered with an error. Try again on the next step; if it persists, tell the user.',
  upstream_rejected: () => 'The OpenAI service refused the request; the error says why.',
  context_length_exceeded: () =>
    `The conversation is longer than the model's context window (context_window in ${run('models')}). Shorten or compact it, or pick a model with a larger window.`,
  model_not_available: () => `Run ${run('models')} to list the models this account can use.`,
  timeout: () =>
    'The request timed out. Check the network, or raise CHATGPT_CODEX_TIMEOUT_MS, then try again.',
  network_error: () =>
    'Could not reach the OpenAI service. Check the network connection and try again.',
  proxy_error: (x) =>
    `The proxy${typeof x.proxy === 'string' ? ` ${x.proxy}` : ''} (HTTPS_PROXY or HTTP_PROXY) refused the request or could not be reached; fix or unset it, or list the host in NO_PROXY.`,
  invalid_response: () =>
    'The OpenAI service sent a response this tool does not understand. Try again later.',
  state_corrupt: () =>
    `A state file is unreadable. It has been kept as it is; run ${run('logout')} to move it aside, then ${run('start')} to sign in again.`,
  state_unsafe: () =>
    'The state directory is not safe to use (a symlink, or owned by another user). Fix or remove it, or set CHATGPT_CODEX_HOME to another directory.',
  state_readonly: () =>
    'The state directory cannot be written (a read-only file system, or no permission). Make it writable, or set CHATGPT_CODEX_HOME to a writable directory; nothing was changed.',
  disk_full: () =>
    'The disk holding the state directory is full. Free some space, then try again; the stored sign-in was kept as it was.',
  interrupted: () =>
    `The call was stopped by a signal after its result was saved. Run ${run('status')} to see the sign-in; nothing was lost.`,
  lock_timeout: () =>
    `Another process is holding the state lock. Try again on the next step; run ${run('doctor')} if it persists.`,
  account_mismatch: () =>
    `The tokens returned belong to a different ChatGPT account; nothing was changed. Run ${run('logout')}, then ${run('start')}, to switch accounts.`,
  codex_api_key_mode: () =>
    'The Codex CLI is signed in with an API key, which this tool does not overwrite. Run `codex logout` first, or unset CHATGPT_CODEX_STORE.',
  listener_failed: () =>
    `The local sign-in listener failed. Use the paste fallback (${run('callback', '--url', "'<address>'")}) or ${run('start', '--method', 'device')}.`,
  gateway_not_running: () =>
    `The gateway is not running. Start it with ${run('serve', '--detach')}.`,
  invalid_argument: () =>
    `Run ${run('help')} to see the functions, and ${run('help', '<function>')} for one function's flags and their values.`,
  invalid_config: () => 'Fix the environment variable named in the error, then try again.',
  host_config_unrecognized: () =>
    `A host's config file holds something this tool does not understand, so it was left byte-identical. Fix the file as the warning says (see docs/hosts.md), then run ${run('models', '--force')}.`,
  internal_error: () =>
    `This is a bug in chatgpt-codex-onboarding. Run ${run('doctor')} and report the error.`,
}

/** The default hint of `code` with `extra`'s values. Never throws. */
export const defaultHint = (code: ErrorCode, extra: FailureExtra = {}) => DEFAULT_HINTS[code](extra)

/**
 * Turns anything thrown into a {@link Failure}. Unknown errors become `internal_error` with a
 * scrubbed message and never a stack trace: output goes straight into an LLM transcript.
 */
export function toFailure(err: unknown): Failure {
  if (err instanceof SkillError) {
    const extra: FailureExtra = {}
    for (const [k, v] of Object.entries(err.extra)) {
      if (v !== undefined) extra[k] = typeof v === 'string' ? redact(v) : v
    }
    return {
      ok: false,
      error: redact(err.message),
      code: err.code,
      hint: err.hint,
      retryable: err.retryable,
      ...extra,
    }
  }
  const message = err instanceof Error ? err.message : String(err)
  return {
    ok: false,
    error: redact(`Unexpected error: ${message}`),
    code: 'internal_error',
    hint: DEFAULT_HINTS.internal_error({}),
    retryable: false,
  }
}

/** Runs an operation and returns its result or its failure; never throws. */
export async function settle<T extends object>(fn: () => Promise<T>): Promise<Result<T>> {
  try {
    return { ok: true, ...(await fn()) } as Success<T>
  } catch (err) {
    return toFailure(err)
  }
}
