/**
 * The one client of `{backend}/codex/responses`, used by `verify` and the gateway: opens the SSE
 * stream for a built {@link ResponsesBody} (see upstream.ts) with fresh credentials, and maps its
 * errors to stable codes.
 * @see docs/protocol.md#responses-endpoint
 */
import { randomUUID } from 'node:crypto'
import type { Ctx } from '../context.js'
import { open, retryAfterSeconds, type HttpStream } from '../http.js'
import { redact } from '../redact.js'
import { run, SkillError } from '../result.js'
import type { CredentialStore } from '../store/credentials.js'
import { backendHeaders, withAuth } from './auth.js'
import type { ResponsesBody } from './upstream.js'

// `verify` builds its one request through these.
export { bareSlug, normalizeRequest } from './upstream.js'

export interface UpstreamStream extends HttpStream {
  refreshes: number
}

/**
 * Opens the upstream SSE stream. Refreshes ahead of expiry; on a 401 refreshes once and retries
 * once (nothing has reached the caller yet at this point).
 * @throws SkillError for any non-2xx (see {@link upstreamError}), the sign-in's codes
 * (`not_signed_in`, `reauth_required`, `refresh_token_*`) and transport failures (`timeout`,
 * `network_error`).
 * @see docs/protocol.md#responses-endpoint
 */
export async function openResponses(
  ctx: Ctx,
  store: CredentialStore,
  body: ResponsesBody,
  opts: { signal?: AbortSignal; sessionId?: string } = {},
): Promise<UpstreamStream> {
  const sessionId = opts.sessionId ?? randomUUID()
  const payload = JSON.stringify(body)
  const out = await withAuth(ctx, store, async (creds) => {
    const res = await open({
      method: 'POST',
      url: `${ctx.config.backendUrl}/codex/responses`,
      headers: {
        ...backendHeaders(ctx, creds),
        accept: 'text/event-stream',
        'content-type': 'application/json',
        'session-id': sessionId,
      },
      raw: payload,
      timeoutMs: ctx.config.timeoutMs,
      signal: opts.signal,
    })
    if (res.status === 401) res.body.resume() // drained: we retry on a new request
    return { status: res.status, value: res }
  })
  const res = out.value
  if (res.status < 200 || res.status >= 300) {
    const text = await res.body.text().catch(() => '')
    throw upstreamError(res.status, text, res.headers, ctx.now())
  }
  return { ...res, refreshes: out.refreshes }
}

/** A failed call's JSON body, as far as it is read (any field may be absent or of another type). */
interface ErrorBody {
  detail?: unknown
  error?: {
    type?: unknown
    code?: unknown
    message?: unknown
    resets_at?: unknown
    resets_in_seconds?: unknown
    plan_type?: unknown
  }
}

/**
 * Maps a failed responses call: 429 `usage_limit_reached` (with `resets_at`, `plan`), other 429
 * `rate_limited` (with `retry_after_s`), 400 `{detail}` and 401/403 `upstream_rejected`, else
 * `upstream_error` (retryable for a 5xx). `now` is the injected clock's reading.
 * @see docs/protocol.md#responses-errors
 */
export function upstreamError(
  status: number,
  text: string,
  headers: Record<string, string>,
  now: number,
): SkillError {
  let body: ErrorBody | null = {}
  try {
    body = JSON.parse(text) as ErrorBody | null
  } catch {
    /* not JSON: keep the status */
  }
  const err = body?.error && typeof body.error === 'object' ? body.error : undefined
  if (
    status === 429 &&
    (err?.type === 'usage_limit_reached' || err?.code === 'usage_limit_reached')
  ) {
    const resetsAt =
      typeof err.resets_at === 'number'
        ? err.resets_at
        : typeof err.resets_in_seconds === 'number'
          ? Math.floor(now / 1000) + err.resets_in_seconds
          : null
    return new SkillError('usage_limit_reached', 'The ChatGPT plan usage limit is reached', {
      extra: {
        resets_at: resetsAt === null ? null : new Date(resetsAt * 1000).toISOString(),
        plan: typeof err.plan_type === 'string' ? err.plan_type : null,
        retry_after_s: resetsAt === null ? null : Math.max(0, resetsAt - Math.floor(now / 1000)),
      },
    })
  }
  if (status === 429) {
    return new SkillError(
      'rate_limited',
      'The Codex backend is rate limiting requests (HTTP 429)',
      {
        extra: { retry_after_s: retryAfterSeconds(headers['retry-after'], now) ?? null },
      },
    )
  }
  const detail =
    typeof body?.detail === 'string'
      ? body.detail
      : typeof err?.message === 'string'
        ? err.message
        : ''
  if (status === 400 && detail) {
    return new SkillError(
      'upstream_rejected',
      redact(`The Codex backend refused the request: ${detail}`),
    )
  }
  if (status === 401 || status === 403) {
    return new SkillError(
      'upstream_rejected',
      `The Codex backend refused the sign-in (HTTP ${status})`,
      {
        hint: `Run ${run('refresh')}; if it persists, run ${run('logout')}, then ${run('start')}.`,
      },
    )
  }
  return new SkillError('upstream_error', `The Codex backend failed with HTTP ${status}`, {
    retryable: status >= 500,
  })
}
