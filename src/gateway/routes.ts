/**
 * What the API routes share: the model list, and the one way any dialect's request goes
 * upstream (model resolved once, body built once, an abort tied to the client, the backend's
 * rate-limit headers passed back). The dialects' answers are responses-route.ts and
 * chat-route.ts.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Ctx } from '../context.js'
import { openResponses, streamFailure, type UpstreamStream } from '../backend/responses.js'
import { ResponseCollector } from '../backend/collect.js'
import { serviceTiers } from '../backend/models.js'
import { readEvents } from '../backend/sse.js'
import {
  bareSlug,
  resolveModel,
  toUpstream,
  type UpstreamDraft,
  type UpstreamRequest,
} from '../backend/upstream.js'
import { requireCredentials } from '../auth/session.js'
import { SkillError } from '../result.js'
import type { CredentialStore } from '../store/credentials.js'
import { applyConversationKey } from './conversation.js'
import { upstreamFailure } from './stream-error.js'
import { MODEL_CREATED } from './feed.js'
import { Refusal, sendJson } from './reply.js'
import type { Slots } from './slots.js'
import type { GatewayCatalog } from './memo.js'

export interface RouteDeps {
  ctx: Ctx
  store: CredentialStore
  /** The account's catalog; `slug` names the model a request wants (an unknown one may reload it). */
  catalog: (account: string, slug?: string) => Promise<GatewayCatalog>
  /** The upstream slots (src/gateway/slots.ts); without it, no cap of the gateway's own. */
  slots?: Slots
}

/** What a route tells the request log (never a prompt or a token). */
export interface RouteLog {
  model?: string
  upstream_status?: number
  dropped?: string[]
}

/**
 * `GET /v1/models`: the signed-in account's visible models in OpenAI's list form.
 * @throws SkillError `not_signed_in` (and the store's codes), the catalog's failures.
 * @see docs/gateway.md#models
 */
export async function listModels(d: RouteDeps, res: ServerResponse): Promise<void> {
  const creds = await requireCredentials(d.store)
  const { models } = await d.catalog(creds.account.account_id)
  sendJson(res, 200, {
    object: 'list',
    data: models
      .filter((m) => m.visibility === 'list')
      .map((m) => ({
        id: m.slug,
        object: 'model',
        created: MODEL_CREATED,
        owned_by: 'openai-codex',
        service_tiers: serviceTiers(m),
      })),
  })
}

/**
 * Upstream x-codex-* rate-limit headers, passed through to the client, and the dropped
 * parameters named in `x-gateway-dropped-params`.
 */
export function passHeaders(up: UpstreamStream, dropped: string[]): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(up.headers)) if (k.startsWith('x-codex-')) out[k] = v
  if (dropped.length) out['x-gateway-dropped-params'] = dropped.join(',')
  return out
}

/**
 * Sends a dialect's draft upstream: resolves the model once (bare slug, one catalog lookup),
 * builds the body, sets the conversation's cache key and session id (conversation.ts), notes model and dropped parameters in the log, and opens the stream with an
 * abort tied to the client (a client that goes away ends the upstream request).
 * @throws SkillError `not_signed_in` and the sign-in's codes, `model_not_available`, and every
 * code of {@link openResponses}.
 * @see docs/protocol.md#responses-endpoint
 */
export async function sendUpstream(
  d: RouteDeps,
  req: IncomingMessage,
  res: ServerResponse,
  draft: UpstreamDraft,
  model: string,
  log: RouteLog,
): Promise<{ upstream: UpstreamRequest; up: UpstreamStream }> {
  const creds = await requireCredentials(d.store)
  const slug = bareSlug(model)
  const upstream = toUpstream(
    draft,
    resolveModel(slug, await d.catalog(creds.account.account_id, slug)),
  )
  // One conversation, one key: the same prompt_cache_key and session-id on every turn.
  const conversation = applyConversationKey(upstream)
  Object.assign(log, { model: upstream.slug, dropped: upstream.dropped })
  const abort = new AbortController()
  const onClose = () => {
    if (!res.writableFinished) abort.abort()
  }
  res.on('close', onClose)
  req.on('aborted', onClose)
  // Wait in line for an upstream slot, but not in silence: after the request timeout, a 503.
  const release = d.slots ? await d.slots.acquire(d.ctx.config.timeoutMs, abort.signal) : () => {}
  if (!release) {
    throw new Refusal(
      503,
      'upstream_busy',
      `All ${d.slots?.busy ?? 0} upstream connections stayed busy for ${d.ctx.config.timeoutMs} ms`,
      { 'retry-after': '1' },
    )
  }
  let up: UpstreamStream
  try {
    up = await openResponses(d.ctx, d.store, upstream.body, {
      signal: abort.signal,
      sessionId: conversation.sessionId,
      known: creds,
    })
  } catch (err) {
    release()
    throw err
  }
  // The slot is free once the upstream body is over: read to its end, failed (idle timeout) or
  // destroyed (the client left).
  up.body.onClose(release)
  log.upstream_status = up.status
  return { upstream, up }
}

/**
 * Reads a whole upstream stream into one response (for the non-streamed answers).
 * @throws SkillError for a `response.failed` or `error` event, the code the same failure gets as
 * an HTTP answer ({@link streamFailure}); `upstream_error` (retryable) when the stream ends
 * before its completion.
 */
export async function collect(d: RouteDeps, up: UpstreamStream): Promise<ResponseCollector> {
  const collector = new ResponseCollector(d.ctx.now)
  try {
    for await (const ev of readEvents(up.body)) collector.add(ev)
  } catch (err) {
    // A socket error was a 500 `internal_error` (issue 16, item 7): coded now, 502 or 504.
    throw upstreamFailure(err, d.ctx.config.streamIdleMs)
  }
  if (collector.failed) throw streamFailure(collector.failed, d.ctx.now())
  if (!collector.completed) throw streamCut()
  return collector
}

/** The headers of every streamed answer. */
export const STREAM_HEADERS = {
  'content-type': 'text/event-stream',
  'cache-control': 'no-cache',
  connection: 'keep-alive',
}

/** The error of an upstream stream that ended before its completion (a 502, retryable). */
export const streamCut = () =>
  new SkillError('upstream_error', 'The upstream stream ended before the response completed', {
    retryable: true,
  })
