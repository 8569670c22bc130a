/**
 * The OpenAI-compatible routes: `/v1/models`, `/v1/responses` and `/v1/chat/completions`, all
 * forwarded through the one upstream client. Streams are piped event by event, never buffered.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Ctx } from '../context.js'
import {
  bareSlug,
  normalizeRequest,
  openResponses,
  type UpstreamStream,
} from '../backend/responses.js'
import { readBatches, readEvents, ResponseCollector, SsePassThrough } from '../backend/sse.js'
import { requireCredentials } from '../auth/session.js'
import { SkillError } from '../result.js'
import type { CredentialStore } from '../store/credentials.js'
import { ChatStreamer, chatToResponses, responsesToChat } from './chat.js'
import { MODEL_CREATED } from './feed.js'
import { sendError, sendJson, sse } from './reply.js'
import type { GatewayCatalog } from './memo.js'
import type { ChatRequest, ResponsesRequest } from './schemas.js'

export interface RouteDeps {
  ctx: Ctx
  store: CredentialStore
  /** The account's catalog; `slug` names the model a request wants (an unknown one may reload it). */
  catalog: (account: string, slug?: string) => Promise<GatewayCatalog>
}

/** What a route tells the request log (never a prompt or a token). */
export interface RouteLog {
  model?: string
  upstream_status?: number
  dropped?: string[]
}

async function signedInCatalog(d: RouteDeps, model?: unknown): Promise<GatewayCatalog> {
  const creds = await requireCredentials(d.store)
  return d.catalog(
    creds.account.account_id,
    typeof model === 'string' ? bareSlug(model) : undefined,
  )
}

export async function listModels(d: RouteDeps, res: ServerResponse): Promise<void> {
  const { models } = await signedInCatalog(d)
  sendJson(res, 200, {
    object: 'list',
    data: models
      .filter((m) => m.visibility === 'list')
      .map((m) => ({
        id: m.slug,
        object: 'model',
        created: MODEL_CREATED,
        owned_by: 'openai-codex',
      })),
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
async function openFor(
  d: RouteDeps,
  req: IncomingMessage,
  res: ServerResponse,
  body: Record<string, unknown>,
) {
  const abort = new AbortController()
  const onClose = () => {
    if (!res.writableFinished) abort.abort()
  }
  res.on('close', onClose)
  req.on('aborted', onClose)
  const up = await openResponses(d.ctx, d.store, body, { signal: abort.signal })
  return { up, abort }
}

/**
 * Resolves once what was written this tick is on the socket: node:http flushes a response's
 * writes on the next tick, and this runs right after that, so bookkeeping never delays bytes.
 */
const flushed = () => new Promise<void>((resolve) => process.nextTick(resolve))

const STREAM_HEADERS = {
  'content-type': 'text/event-stream',
  'cache-control': 'no-cache',
  connection: 'keep-alive',
}
const interrupted = {
  type: 'error',
  error: {
    type: 'upstream_error',
    code: 'stream_interrupted',
    message: 'The upstream stream ended before the response completed.',
  },
}

export async function responses(
  d: RouteDeps,
  req: IncomingMessage,
  res: ServerResponse,
  input: ResponsesRequest,
  log: RouteLog,
) {
  const { body, slug, dropped } = normalizeRequest(input, await signedInCatalog(d, input.model))
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
  // The upstream bytes go out as they arrive, one write per network chunk, and are read for the
  // record only once they are on their way. Only the completion is rewritten: some streams
  // complete with `output: []`, so it carries the list rebuilt from the items instead.
  const pass = new SsePassThrough('response.completed')
  try {
    for await (const chunk of up.body) {
      const { raw, rest } = pass.split(chunk)
      if (raw) {
        if (!res.destroyed) {
          res.write(raw)
          await flushed()
        }
        for (const ev of pass.parse(raw)) collector.add(ev)
      }
      if (!rest) continue
      let out = ''
      for (const ev of pass.parse(rest)) {
        if (ev.type !== 'response.completed') {
          collector.add(ev)
          out += sse(ev.raw, ev.type)
          continue
        }
        // What came before goes out first: rebuilding the completion is work the client need
        // not wait for.
        if (out && !res.destroyed) {
          res.write(out)
          await flushed()
        }
        out = ''
        collector.add(ev)
        out += sse({ ...ev.data, response: collector.response() }, ev.type)
      }
      if (res.writableEnded || res.destroyed) continue // drain upstream; the connection stays reusable
      // The completion is the last event: end with it, one write instead of two.
      if (collector.completed) res.end(out)
      else if (out) res.write(out)
    }
  } catch {
    /* upstream broke or the client left: handled below */
  }
  if (res.writableEnded || res.destroyed) return
  if (!collector.completed) res.write(sse(interrupted, 'error'))
  res.end()
}

export async function chatCompletions(
  d: RouteDeps,
  req: IncomingMessage,
  res: ServerResponse,
  input: ChatRequest,
  log: RouteLog,
) {
  const chat = chatToResponses(input)
  const { body, slug, dropped } = normalizeRequest(
    chat.body,
    await signedInCatalog(d, chat.body.model),
  )
  const allDropped = [...new Set([...chat.dropped, ...dropped])].sort()
  Object.assign(log, { model: slug, dropped: allDropped })
  const { up } = await openFor(d, req, res, body)
  log.upstream_status = up.status
  if (!chat.stream) {
    const collector = new ResponseCollector()
    for await (const ev of readEvents(up.body)) collector.add(ev)
    if (!collector.completed) return sendError(res, streamCut())
    return sendJson(
      res,
      200,
      responsesToChat(collector.response(), slug),
      passHeaders(up, allDropped),
    )
  }
  const streamer = new ChatStreamer(slug, chat.includeUsage)
  res.writeHead(200, { ...STREAM_HEADERS, ...passHeaders(up, allDropped) })
  res.write(sse(streamer.first()))
  try {
    for await (const batch of readBatches(up.body)) {
      let out = ''
      for (const ev of batch) for (const c of streamer.map(ev)) out += sse(c)
      if (out && !res.destroyed) res.write(out) // one write per upstream chunk
    }
  } catch {
    /* handled below */
  }
  if (res.destroyed) return
  // [DONE] only after a real finish; a broken stream ends with an explicit error instead.
  res.end(streamer.finished ? 'data: [DONE]\n\n' : sse({ error: interrupted.error }))
}

const streamCut = () =>
  new SkillError('upstream_error', 'The upstream stream ended before the response completed', {
    retryable: true,
  })
