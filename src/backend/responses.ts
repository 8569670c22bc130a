/**
 * The one client of `{backend}/codex/responses`, used by `verify` and the gateway: opens the SSE
 * stream for a built {@link ResponsesBody} (see upstream.ts) with fresh credentials, and maps its
 * errors to stable codes.
 * @see docs/protocol.md#responses-endpoint
 */
import { randomUUID } from 'node:crypto'
import type { Ctx } from '../context.js'
import { open, type HttpStream } from '../http.js'
import type { CredentialStore } from '../store/credentials.js'
import type { Credentials } from '../store/schemas.js'
import { backendHeaders, withAuth } from './auth.js'
import { upstreamError } from './failure.js'
import type { ResponsesBody } from './upstream.js'

// `verify` builds its one request through these.
export { bareSlug, normalizeRequest } from './upstream.js'
export { streamFailure, upstreamError } from './failure.js'

export interface UpstreamStream extends HttpStream {
  refreshes: number
}

/**
 * Opens the upstream SSE stream. Refreshes ahead of expiry; on a 401 refreshes once and retries
 * once (nothing has reached the caller yet at this point). `known`: credentials the caller just
 * read from `store`, not read again while fresh.
 * @throws SkillError for any non-2xx (see {@link upstreamError}), the sign-in's codes
 * (`not_signed_in`, `reauth_required`, `refresh_token_*`) and transport failures (`timeout`,
 * `network_error`).
 * @see docs/protocol.md#responses-endpoint
 */
export async function openResponses(
  ctx: Ctx,
  store: CredentialStore,
  body: ResponsesBody,
  opts: { signal?: AbortSignal; sessionId?: string; known?: Credentials } = {},
): Promise<UpstreamStream> {
  const sessionId = opts.sessionId ?? randomUUID()
  const payload = JSON.stringify(body)
  const send = async (creds: Credentials) => {
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
      idleTimeoutMs: ctx.config.streamIdleMs,
      proxy: ctx.config.proxy,
      signal: opts.signal,
    })
    if (res.status === 401) res.body.resume() // drained: we retry on a new request
    return { status: res.status, value: res }
  }
  const out = await withAuth(ctx, store, send, undefined, opts.known)
  const res = out.value
  if (res.status < 200 || res.status >= 300) {
    const text = await res.body.text().catch(() => '')
    throw upstreamError(res.status, text, res.headers, ctx.now())
  }
  return { ...res, refreshes: out.refreshes }
}
