/**
 * One mapping from a backend failure to a coded error, whether the backend said it as an HTTP
 * status with a JSON body or inside a 200 stream (`response.failed`, `error`): a usage limit is
 * `usage_limit_reached` with `resets_at` either way, a context too long `context_length_exceeded`,
 * a refusal `upstream_rejected`, and so on. Each failure keeps the backend's own code as
 * `upstream_code`.
 * @see docs/protocol.md#responses-errors
 */
import { retryAfterSeconds } from '../http.js'
import { redact } from '../redact.js'
import { run, SkillError } from '../result.js'
import type { EventData } from './events.js'

/** The error object of a failed call or event, as far as it is read (any field may be absent). */
export interface BackendErrorFields {
  type?: unknown
  code?: unknown
  message?: unknown
  resets_at?: unknown
  resets_in_seconds?: unknown
  plan_type?: unknown
}

/** A failure, whichever way it arrived: the HTTP status it stands for, its fields, its text. */
export interface BackendFailure {
  status: number
  error?: BackendErrorFields
  /** `{detail}` or `error.message`. */
  detail: string
  headers?: Record<string, string>
}

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object'
const str = (v: unknown) => (typeof v === 'string' ? v : undefined)

const USAGE_LIMIT = new Set(['usage_limit_reached'])
const CONTEXT = new Set(['context_length_exceeded', 'context_window_exceeded'])
/** Codes the backend gives a request it will not serve as sent (the client must change it). */
const REFUSED = new Set([
  'invalid_prompt',
  'invalid_request_error',
  'usage_not_included',
  'insufficient_quota',
  'content_filter',
  'model_not_found',
  'unsupported_parameter',
  'invalid_value',
])
const RATE = new Set(['rate_limit_exceeded', 'rate_limited'])

/**
 * The HTTP status an in-stream error code stands for: what the backend would have answered had
 * it known before the stream began. Unknown codes count as a server failure (retryable).
 */
function statusOf(code: string | undefined, type: string | undefined): number {
  const c = code ?? type ?? ''
  if (USAGE_LIMIT.has(c) || RATE.has(c)) return 429
  if (CONTEXT.has(c) || REFUSED.has(c) || type === 'invalid_request_error') return 400
  return 500
}

/**
 * Maps a failure to its coded error: 429 `usage_limit_reached` (with `resets_at`, `plan`,
 * `retry_after_s`), other 429 `rate_limited` (with `retry_after_s`), a context too long
 * `context_length_exceeded`, other 400s with a reason and 401/403 `upstream_rejected`, else
 * `upstream_error` (retryable for a 5xx). `now` is the injected clock's reading. Never throws.
 * @see docs/protocol.md#responses-errors
 */
export function mapBackendFailure(f: BackendFailure, now: number): SkillError {
  const err = f.error
  const code = str(err?.code) ?? str(err?.type)
  const extra = code ? { upstream_code: code } : {}
  const nowS = Math.floor(now / 1000)
  if (f.status === 429 && code && USAGE_LIMIT.has(code)) {
    const resetsAt =
      typeof err?.resets_at === 'number'
        ? err.resets_at
        : typeof err?.resets_in_seconds === 'number'
          ? nowS + err.resets_in_seconds
          : null
    return new SkillError('usage_limit_reached', 'The ChatGPT plan usage limit is reached', {
      extra: {
        resets_at: resetsAt === null ? null : new Date(resetsAt * 1000).toISOString(),
        plan: typeof err?.plan_type === 'string' ? err.plan_type : null,
        retry_after_s: resetsAt === null ? null : Math.max(0, resetsAt - nowS),
      },
    })
  }
  if (f.status === 429) {
    // In a stream there is no Retry-After header; the message may say "try again in 1.5s".
    const said = /try again in ([\d.]+)\s*s/i.exec(f.detail)?.[1]
    const retry =
      retryAfterSeconds(f.headers?.['retry-after'], now) ?? (said ? Math.ceil(Number(said)) : null)
    return new SkillError(
      'rate_limited',
      'The Codex backend is rate limiting requests (HTTP 429)',
      {
        extra: { retry_after_s: retry, ...extra },
      },
    )
  }
  const text = f.detail ? redact(f.detail) : ''
  if (
    (code && CONTEXT.has(code)) ||
    (f.status === 400 && /context (window|length)|too long|maximum context/i.test(f.detail))
  ) {
    return new SkillError(
      'context_length_exceeded',
      `The conversation does not fit the model's context window${text ? `: ${text}` : ''}`,
      { extra: { upstream_code: code ?? 'context_length_exceeded' } },
    )
  }
  if (f.status === 400 && text) {
    return new SkillError('upstream_rejected', `The Codex backend refused the request: ${text}`, {
      extra,
    })
  }
  if (f.status === 401 || f.status === 403) {
    return new SkillError(
      'upstream_rejected',
      `The Codex backend refused the sign-in (HTTP ${f.status})`,
      {
        hint: `Run ${run('refresh')}; if it persists, run ${run('logout')}, then ${run('start')}.`,
        extra,
      },
    )
  }
  return new SkillError(
    'upstream_error',
    text ? `The Codex backend failed: ${text}` : `The Codex backend failed with HTTP ${f.status}`,
    { retryable: f.status >= 500, extra },
  )
}

/**
 * Maps a failed HTTP answer (its status, body text and headers).
 * @see docs/protocol.md#responses-errors
 */
export function upstreamError(
  status: number,
  text: string,
  headers: Record<string, string>,
  now: number,
): SkillError {
  let body: unknown = {}
  try {
    body = JSON.parse(text)
  } catch {
    /* not JSON: keep the status */
  }
  const b = isObject(body) ? body : {}
  const error = isObject(b.error) ? (b.error as BackendErrorFields) : undefined
  const detail = str(b.detail) ?? str(error?.message) ?? ''
  if (status !== 400 && status !== 429 && !error) {
    // A bare 5xx page says nothing worth passing on; keep the status alone.
    return mapBackendFailure({ status, detail: '', headers }, now)
  }
  return mapBackendFailure({ status, error, detail, headers }, now)
}

/**
 * Maps a failure event of a 200 stream: `response.failed` (its `response.error`) or `error`
 * (`{code, message}` at the top, or an `error` object, with an optional `status` as the
 * WebSocket transport sends it) to the error the same failure gets as an HTTP answer.
 * @see docs/protocol.md#stream-events
 */
export function streamFailure(data: EventData, now: number): SkillError {
  const inner = isObject(data.response?.error)
    ? data.response.error
    : isObject(data.error)
      ? data.error
      : data
  const error = inner as BackendErrorFields
  const code = str(error.code)
  const type = str(error.type) === 'error' ? undefined : str(error.type)
  const fields: BackendErrorFields = { ...error, code: code ?? type, type }
  const given = typeof data.status === 'number' ? data.status : undefined
  return mapBackendFailure(
    {
      status: given ?? statusOf(code, type),
      error: fields.code === undefined ? undefined : fields,
      detail: str(error.message) ?? '',
    },
    now,
  )
}
