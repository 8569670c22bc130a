/**
 * Issue 20's gateway pieces in-process: the one failure mapping (HTTP and in-stream alike), the
 * conversation key, fast mode's tier check, and tool calls that arrive only in `.done`.
 */
import { describe, expect, it } from 'vitest'
import { streamFailure, upstreamError } from '../src/backend/failure.js'
import { toFailure } from '../src/result.js'

const now = Date.UTC(2026, 11, 3, 10, 0, 0)
const nowS = now / 1000

describe('one failure mapping for HTTP answers and stream events', () => {
  const limit = {
    type: 'usage_limit_reached',
    message: 'The usage limit has been reached',
    plan_type: 'plus',
    resets_at: nowS + 600,
  }

  it('a usage limit is usage_limit_reached with resets_at, whichever way it arrives', () => {
    const http = toFailure(upstreamError(429, JSON.stringify({ error: limit }), {}, now))
    const failed = toFailure(
      streamFailure(
        { type: 'response.failed', response: { error: { ...limit, code: 'usage_limit_reached' } } },
        now,
      ),
    )
    const ws = toFailure(streamFailure({ type: 'error', status: 429, error: limit }, now))
    const flat = toFailure(
      streamFailure({ type: 'error', code: 'usage_limit_reached', message: 'x' }, now),
    )
    const want = {
      code: 'usage_limit_reached',
      resets_at: new Date((nowS + 600) * 1000).toISOString(),
      plan: 'plus',
      retry_after_s: 600,
    }
    expect(http).toMatchObject(want)
    expect(failed).toMatchObject(want)
    expect(ws).toMatchObject(want)
    expect(flat).toMatchObject({ code: 'usage_limit_reached' })
  })

  it('context too long, refusals, rate limits and unknown codes keep their meaning and code', () => {
    const ev = (code: string, message = 'm') =>
      toFailure(
        streamFailure({ type: 'response.failed', response: { error: { code, message } } }, now),
      )
    expect(ev('context_length_exceeded')).toMatchObject({
      code: 'context_length_exceeded',
      upstream_code: 'context_length_exceeded',
      retryable: false,
    })
    const http = toFailure(
      upstreamError(
        400,
        JSON.stringify({ error: { code: 'context_length_exceeded', message: 'm' } }),
        {},
        now,
      ),
    )
    expect(http.code).toBe('context_length_exceeded')
    expect(ev('invalid_prompt', 'refused')).toMatchObject({
      code: 'upstream_rejected',
      upstream_code: 'invalid_prompt',
    })
    expect(ev('rate_limit_exceeded', 'Please try again in 1.5s')).toMatchObject({
      code: 'rate_limited',
      retry_after_s: 2,
    })
    expect(ev('server_is_overloaded')).toMatchObject({
      code: 'upstream_error',
      retryable: true,
      upstream_code: 'server_is_overloaded',
    })
    expect(toFailure(streamFailure({ type: 'error' }, now))).toMatchObject({
      code: 'upstream_error',
      retryable: true,
    })
  })
})
