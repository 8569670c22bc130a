/**
 * The OpenAI-compatible routes: `/v1/models`, `/v1/responses` and `/v1/chat/completions`, all
 * forwarded through the one upstream client. Streams are piped event by event, never buffered.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Ctx } from '../context.js'
import { normalizeRequest, openResponses, type UpstreamStream } from '../backend/responses.js'
import { readEvents, ResponseCollector } from '../backend/sse.js'
import { requireCredentials } from '../auth/session.js'
import { SkillError } from '../result.js'
import type { CredentialStore } from '../store/credentials.js'
import { ChatStreamer, chatToResponses, responsesToChat } from './chat.js'
import { MODEL_CREATED } from './feed.js'
import { sendError, sendJson, sse } from './reply.js'
import type { RawModel } from '../backend/models.js'

export interface RouteDeps {
  ctx: Ctx
  store: CredentialStore
  catalog: (account: string) => Promise<RawModel[]>
}

/** What a route tells the request log (never a prompt or a token). */
export interface RouteLog {
  model?: string
  upstream_status?: number
  dropped?: string[]
}

async function signedInCatalog(d: RouteDeps): Promise<RawModel[]> {
  const creds = await requireCredentials(d.store)
  return d.catalog(creds.account.account_id)
}

export async function listModels(d: RouteDeps, res: ServerResponse): Promise<void> {
  const models = await signedInCatalog(d)
  sendJson(res, 200, {
    object: 'list',
    data: models
      .filter((m) => m.visibility === 'list')
      .map((m) => ({ id: m.slug, object: 'model', created: MODEL_CREATED, owned_by: 'openai-codex' })),
  })
}

/** Upstream x-codex-* rate-limit headers, passed through to the client. */
function passHeaders(up: UpstreamStream, dropped: string[]): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(up.headers)) if (k.startsWith('x-codex-')) out[k] = v
  if (dropped.length) out['x-gateway-dropped-params'] = dropped.join(',')
  return out
}

/** Opens upstream with an abort tied to the client: a client that goes away ends the upstream request. */
async function openFor(d: RouteDeps, req: IncomingMessage, res: ServerResponse, body: Record<string, unknown>) {
  const abort = new AbortController()
  const onClose = () => {
    if (!res.writableFinished) abort.abort()
  }
  res.on('close', onClose)
  req.on('aborted', onClose)
  const up = await openResponses(d.ctx, d.store, body, { signal: abort.signal })
  return { up, abort }
}

const STREAM_HEADERS = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' }
const interrupted = {
  type: 'error',
  error: { type: 'upstream_error', code: 'stream_interrupted', message: 'The upstream stream ended before the response completed.' },
}

export async function responses(d: RouteDeps, req: IncomingMessage, res: ServerResponse, input: Record<string, any>, log: RouteLog) {
  const { body, slug, dropped } = normalizeRequest(input, await signedInCatalog(d))
  Object.assign(log, { model: slug, dropped })
  const { up } = await openFor(d, req, res, body)
  log.upstream_status = up.status
  const collector = new ResponseCollector()
  if (input.stream !== true) {
    for await (const ev of readEvents(up.body)) collector.add(ev)
    if (!collector.completed) return sendError(res, streamCut())
    return sendJson(res, 200, collector.response(), passHeaders(up, dropped))
  }
  res.writeHead(200, { ...STREAM_HEADERS, ...passHeaders(up, dropped) })
  try {
    for await (const ev of readEvents(up.body)) {
      collector.add(ev)
      if (ev.type === 'response.completed') {
        // Some streams complete with `output: []`: send the rebuilt list instead.
        res.write(sse({ ...ev.data, response: collector.response() }, ev.type))
      } else res.write(sse(ev.raw, ev.type))
    }
  } catch {
    /* upstream broke or the client left: handled below */
  }
  if (!collector.completed && !res.destroyed) res.write(sse(interrupted, 'error'))
  res.end()
}

export async function chatCompletions(d: RouteDeps, req: IncomingMessage, res: ServerResponse, input: Record<string, any>, log: RouteLog) {
  const chat = chatToResponses(input)
  const { body, slug, dropped } = normalizeRequest(chat.body, await signedInCatalog(d))
  const allDropped = [...new Set([...chat.dropped, ...dropped])].sort()
  Object.assign(log, { model: slug, dropped: allDropped })
  const { up } = await openFor(d, req, res, body)
  log.upstream_status = up.status
  if (!chat.stream) {
    const collector = new ResponseCollector()
    for await (const ev of readEvents(up.body)) collector.add(ev)
    if (!collector.completed) return sendError(res, streamCut())
    return sendJson(res, 200, responsesToChat(collector.response(), slug), passHeaders(up, allDropped))
  }
  const streamer = new ChatStreamer(slug, chat.includeUsage)
  res.writeHead(200, { ...STREAM_HEADERS, ...passHeaders(up, allDropped) })
  res.write(sse(streamer.first()))
  try {
    for await (const ev of readEvents(up.body)) for (const c of streamer.map(ev)) res.write(sse(c))
  } catch {
    /* handled below */
  }
  if (res.destroyed) return
  // [DONE] only after a real finish; a broken stream ends with an explicit error instead.
  res.end(streamer.finished ? 'data: [DONE]\n\n' : sse({ error: interrupted.error }))
}

const streamCut = () =>
  new SkillError('upstream_error', 'The upstream stream ended before the response completed', { retryable: true })
