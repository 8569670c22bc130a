/** Writing gateway answers: JSON, OpenAI-shaped errors with the right status, SSE frames. */
import type { ServerResponse } from 'node:http'
import { SkillError, toFailure, type ErrorCode } from '../result.js'
import { anthropicEnvelope, wantsAnthropic } from './messages-errors.js'

const STATUS: Partial<Record<ErrorCode, number>> = {
  not_signed_in: 401,
  reauth_required: 401,
  refresh_token_expired: 401,
  refresh_token_reused: 401,
  refresh_token_invalidated: 401,
  account_mismatch: 401,
  model_not_available: 404,
  invalid_argument: 400,
  upstream_rejected: 400,
  context_length_exceeded: 400,
  rate_limited: 429,
  timeout: 504,
  usage_limit_reached: 429,
  state_corrupt: 500,
  state_unsafe: 500,
  internal_error: 500,
}

const TYPE: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'invalid_request_error',
  429: 'rate_limit_error',
  500: 'server_error',
  502: 'upstream_error',
  503: 'server_error',
  504: 'timeout_error',
}

/**
 * A refusal the gateway itself decides (a status and a gateway code that is no {@link SkillError}
 * code, e.g. 503 `upstream_busy`), thrown from deep in a route and answered by {@link sendError}.
 */
export class Refusal extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message)
  }
}

/**
 * Answers with a JSON body, its length, `no-store`, and any extra headers. Never fails.
 * @see docs/gateway.md#errors
 */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body)
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    ...headers,
  })
  res.end(text)
}

/**
 * The OpenAI error envelope for a failure, plus the HTTP status it maps to (401 for the sign-in
 * codes, 404 `model_not_available`, 400, 429, 500 for state codes, else 502). Never fails.
 * @see docs/gateway.md#errors
 */
export function errorBody(err: unknown): {
  status: number
  body: { error: Record<string, unknown> }
  headers: Record<string, string>
} {
  const f = toFailure(err)
  const status = STATUS[f.code] ?? 502
  const { ok: _ok, error, code, hint: _hint, retryable: _r, ...extra } = f
  const headers: Record<string, string> = {}
  if (status === 429 && typeof f.retry_after_s === 'number')
    headers['retry-after'] = String(f.retry_after_s)
  return {
    status,
    headers,
    body: {
      error: { message: error, type: TYPE[status] ?? 'server_error', code, param: null, ...extra },
    },
  }
}

/**
 * Answers a failure in OpenAI's error envelope (Anthropic's for an Anthropic client), with the
 * status its code maps to (502 for a code without one) and `retry-after` on a 429. Never fails.
 * @see docs/gateway.md#errors
 */
export function sendError(
  res: ServerResponse,
  err: unknown,
  extraHeaders: Record<string, string> = {},
): void {
  if (err instanceof Refusal) {
    const body = {
      error: { message: err.message, type: TYPE[err.status], code: err.code, param: null },
    }
    return sendJson(res, err.status, body, { ...err.headers, ...extraHeaders })
  }
  const { status, body, headers } = errorBody(err)
  sendJson(res, status, envelope(res, status, body.error), { ...headers, ...extraHeaders })
}

/** The error envelope the client's dialect reads: Anthropic's or OpenAI's. */
const envelope = (res: ServerResponse, status: number, error: Record<string, unknown>) =>
  wantsAnthropic(res.req) ? anthropicEnvelope(status, error) : { error }

/**
 * A plain error that is not a SkillError (e.g. 400, 413, 421), in the same envelope; a refusal
 * sent before the body is read also closes the connection. Never fails.
 * @see docs/gateway.md#errors
 */
export function sendPlainError(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  param: string | null = null,
): void {
  // A refusal is sent before the request body is read: close the connection, so no unread
  // body can linger on a kept-alive socket in front of the client's next request.
  const close = status === 401 || status === 403 || status === 413 || status === 421
  sendJson(
    res,
    status,
    envelope(res, status, { message, type: TYPE[status] ?? 'invalid_request_error', code, param }),
    close ? { connection: 'close' } : {},
  )
}

/** One SSE frame: an optional `event:` line and the data (a string as is, else its JSON). */
export const sse = (data: unknown, event?: string) =>
  `${event ? `event: ${event}\n` : ''}data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`

/** True for this project's error type. */
export function isSkillError(e: unknown): e is SkillError {
  return e instanceof SkillError
}
