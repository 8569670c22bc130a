/**
 * Failures inside a 200 stream, as the backend sends them: `response.failed` with the error in
 * `response.error`, or an `error` event (OpenAI's `{code, message, param}`, or for a usage limit
 * the WebSocket transport's `{status, error: {type, resets_at, ...}}`).
 */
import type { EmuAccount } from './state.js'

type Item = Record<string, unknown>

/** The error object for `code` (a usage limit carries its reset time and the plan). */
export function failureError(code: string, account: EmuAccount, nowS: number): Item {
  if (code === 'usage_limit_reached') {
    return {
      code,
      type: 'usage_limit_reached',
      message: 'The usage limit has been reached',
      plan_type: account.plan,
      resets_at: nowS + 3_600,
      resets_in_seconds: 3_600,
    }
  }
  if (code === 'context_length_exceeded') {
    return {
      code,
      message:
        'Your input exceeds the context window of this model. Please adjust your input and try again.',
    }
  }
  return { code, message: `The request failed (${code}).` }
}

/** The event (type and data) that carries `error` for the mode. */
export function failureEvent(
  mode: 'failed' | 'error_event',
  error: Item,
  head: Item,
): [string, Item] {
  if (mode === 'failed') {
    return ['response.failed', { response: { ...head, status: 'failed', output: [], error } }]
  }
  if (error.code === 'usage_limit_reached') {
    const { code: _code, ...rest } = error
    return ['error', { status: 429, error: rest }]
  }
  return ['error', { code: error.code, message: error.message, param: null }]
}
