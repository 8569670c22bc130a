/**
 * `POST /v1/messages` (and `/count_tokens`), and `GET /v1/models` for an Anthropic client: the
 * Messages dialect, translated to the one upstream request (messages.ts) and its answer
 * translated back, whole (messages-reply.ts) or streamed (messages-stream.ts) with a `ping`
 * while the model works. A failure before the first byte is an HTTP error in Anthropic's shape;
 * after it, an `error` event, never a clean `message_stop`.
 * @see docs/anthropic.md
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { readBatches } from '../backend/sse.js'
import { requireCredentials } from '../auth/session.js'
import { SkillError } from '../result.js'
import { codexSlugFor } from './claude-models.js'
import { MODEL_CREATED } from './feed.js'
import { messagesDraft } from './messages.js'
import { anthropicEnvelope } from './messages-errors.js'
import { responsesToMessage } from './messages-reply.js'
import type { MessagesRequest } from './messages-schemas.js'
import { MessagesStreamer } from './messages-stream.js'
import { ReasoningMemo } from './reasoning-memo.js'
import { errorBody, sendJson, sse } from './reply.js'
import {
  collect,
  passHeaders,
  sendUpstream,
  STREAM_HEADERS,
  streamCut,
  type RouteDeps,
  type RouteLog,
} from './routes.js'

/** How often a `ping` goes out while the model works and nothing else does. */
export const PING_MS = 5_000

// One memo per gateway (its deps object lives as long as the server), without a new field on
// every route's dependencies.
const memos = new WeakMap<RouteDeps, ReasoningMemo>()
const memoFor = (d: RouteDeps) => {
  let m = memos.get(d)
  if (!m) memos.set(d, (m = new ReasoningMemo()))
  return m
}

/** The Codex slug a Messages `model` goes to (the table needs the account's catalog). */
async function slugFor(d: RouteDeps, model: string): Promise<string> {
  const creds = await requireCredentials(d.store)
  const { models } = await d.catalog(creds.account.account_id)
  return codexSlugFor(model, d.ctx.config.anthropicModels, models)
}

const frame = (e: { event: string; data: unknown }) => sse(e.data, e.event)
const PING = sse({ type: 'ping' }, 'ping')

/**
 * Answers a checked Messages body: a complete `message`, or Anthropic's event stream.
 * @throws SkillError before anything is written: every code of {@link sendUpstream}, an
 * in-stream failure's own code (`usage_limit_reached`, ...), `upstream_error` for a cut stream.
 * @see docs/anthropic.md
 */
export async function messages(
  d: RouteDeps,
  req: IncomingMessage,
  res: ServerResponse,
  input: MessagesRequest,
  log: RouteLog,
): Promise<void> {
  const memo = memoFor(d)
  const draft = messagesDraft(input, memo)
  const slug = await slugFor(d, input.model)
  const { upstream, up } = await sendUpstream(d, req, res, draft, slug, log)
  const headers = passHeaders(up, upstream.dropped)
  if (!draft.stream) {
    // One reading for every dialect: a socket error is 502/504, an in-stream failure keeps its code.
    const collector = await collect(d, up)
    const answer = responsesToMessage(collector.response(), input.model, draft.thinking, memo)
    return sendJson(res, 200, answer, headers)
  }
  const streamer = new MessagesStreamer(input.model, draft.thinking, memo, d.ctx.now)
  // The head waits for the first event worth sending (or the first ping): a failure before it
  // is still an HTTP error with its status, which clients handle best.
  let headed = false
  const head = () => {
    if (headed) return ''
    headed = true
    res.writeHead(200, { ...STREAM_HEADERS, ...headers })
    return frame(streamer.start()) + PING
  }
  const timer = setInterval(() => {
    if (!res.destroyed) res.write(head() + PING)
  }, PING_MS)
  timer.unref()
  try {
    for await (const batch of readBatches(up.body)) {
      let out = ''
      for (const ev of batch) for (const e of streamer.map(ev)) out += frame(e)
      if (out && !res.destroyed) res.write(head() + out) // one write per upstream chunk
      if (streamer.finished || streamer.failure) break
    }
  } catch {
    /* upstream broke or the client left: handled below */
  } finally {
    clearInterval(timer)
  }
  if (res.destroyed) return
  if (!headed) throw streamer.failure ?? streamCut()
  if (streamer.finished) return void res.end()
  const { status, body } = errorBody(streamer.failure ?? streamCut())
  res.end(sse(anthropicEnvelope(status, body.error), 'error'))
}

/**
 * `POST /v1/messages/count_tokens`: an estimate (about four characters a token over what the
 * request would send), and it says so: `estimated: true` and `x-gateway-estimate`. No upstream
 * request is made. Never fails.
 * @see docs/anthropic.md#routes
 */
export function countTokens(d: RouteDeps, res: ServerResponse, input: MessagesRequest): void {
  const draft = messagesDraft(input, memoFor(d))
  const chars = JSON.stringify(draft.items).length + JSON.stringify(draft.fields.tools ?? []).length
  sendJson(
    res,
    200,
    { input_tokens: Math.ceil(chars / 4), estimated: true },
    { 'x-gateway-estimate': 'chars/4' },
  )
}

/**
 * `GET /v1/models` in Anthropic's list shape (`anthropic-version` was sent): the account's
 * visible Codex models.
 * @throws SkillError `not_signed_in` (and the store's codes), the catalog's failures.
 * @see docs/anthropic.md#models
 */
export async function listAnthropicModels(d: RouteDeps, res: ServerResponse): Promise<void> {
  const creds = await requireCredentials(d.store)
  const { models } = await d.catalog(creds.account.account_id)
  const created_at = new Date(MODEL_CREATED * 1000).toISOString()
  const data = models
    .filter((m) => m.visibility === 'list')
    .map((m) => ({ type: 'model', id: m.slug, display_name: m.display_name ?? m.slug, created_at }))
  sendJson(res, 200, {
    data,
    has_more: false,
    first_id: data[0]?.id ?? null,
    last_id: data.at(-1)?.id ?? null,
  })
}
