/**
 * An upstream failure inside a 200 stream (`response.failed`, `error`) as the coded error the
 * same failure has when it comes as an HTTP answer. Dialect-agnostic in what it returns; kept here
 * until the backend's own mapping (issue 20, item 4) lands, then this file becomes one import.
 * @see docs/protocol.md#responses-errors
 */
import type { EventData } from '../backend/events.js'
import { upstreamError } from '../backend/responses.js'
import { SkillError } from '../result.js'

/** The status an in-stream failure code stands for, as if it had come as an HTTP answer. */
function statusOf(code: string): number {
  if (code === 'usage_limit_reached' || code === 'rate_limit_exceeded') return 429
  if (/^(context_length_exceeded|invalid_|bad_request)/.test(code)) return 400
  if (code === 'server_is_overloaded' || code === 'slow_down') return 503
  return 500
}

/**
 * The coded error an upstream `response.failed` or `error` event stands for: the same code as
 * the HTTP failure it replaces (a usage limit is `usage_limit_reached` with its reset time).
 * Never fails.
 * @see docs/protocol.md#responses-errors
 */
export function inStreamFailure(d: EventData, now: number): SkillError {
  const raw = d.response?.error ?? d.error ?? d
  const e = raw && typeof raw === 'object' ? (raw as Record<string, unknown>) : {}
  const code = String(e.code ?? e.type ?? '')
  const status = statusOf(code)
  const err = upstreamError(status, JSON.stringify({ error: { ...e, type: code } }), {}, now)
  if (status === 500 && err.code === 'upstream_error') {
    return new SkillError('upstream_error', `The Codex backend failed: ${code || 'error'}`, {
      retryable: true,
    })
  }
  return err
}
