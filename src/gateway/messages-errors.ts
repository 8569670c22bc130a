/**
 * Errors in Anthropic's shape, `{"type":"error","error":{"type","message"}}`, for the clients of
 * the Messages dialect: the same statuses and codes as the OpenAI routes, the envelope their
 * SDKs read. A request is Anthropic's when it goes to `/v1/messages...` or carries
 * `anthropic-version`.
 * @see docs/anthropic.md#errors
 */
import type { IncomingMessage } from 'node:http'

/** Anthropic's error types, by the HTTP status the gateway answers with. */
export function anthropicErrorType(status: number): string {
  if (status === 401) return 'authentication_error'
  if (status === 403) return 'permission_error'
  if (status === 404) return 'not_found_error'
  if (status === 429) return 'rate_limit_error'
  if (status === 503 || status === 529) return 'overloaded_error'
  if (status >= 500) return 'api_error'
  return 'invalid_request_error'
}

/** True for a request whose client speaks Anthropic's API. Never fails. */
export function wantsAnthropic(req: IncomingMessage | undefined): boolean {
  if (!req) return false
  if (typeof req.headers['anthropic-version'] === 'string') return true
  const path = (req.url ?? '').split('?')[0] ?? ''
  return path === '/v1/messages' || path.startsWith('/v1/messages/')
}

/**
 * The Anthropic envelope for an error the gateway would answer in OpenAI's: its type from the
 * status, the message, and the gateway's stable `code` and extra fields (such as `resets_at`)
 * kept beside them. Never fails.
 */
export function anthropicEnvelope(
  status: number,
  error: Record<string, unknown>,
): { type: 'error'; error: Record<string, unknown> } {
  const { message, type: _openaiType, param: _param, ...extra } = error
  return {
    type: 'error',
    error: { type: anthropicErrorType(status), message: String(message ?? ''), ...extra },
  }
}
