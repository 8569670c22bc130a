/**
 * `POST /v1/chat/completions`: the Chat Completions dialect, translated to the one upstream
 * request (chat.ts) and its answer translated back (chat-reply.ts), one write per upstream chunk.
 * @see docs/gateway.md#chat-completions
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { readBatches } from '../backend/sse.js'
import { chatDraft } from './chat.js'
import { ChatStreamer, responsesToChat } from './chat-reply.js'
import { sendJson, sse } from './reply.js'
import {
  collect,
  passHeaders,
  sendUpstream,
  STREAM_HEADERS,
  streamEndError,
  type RouteDeps,
  type RouteLog,
} from './routes.js'
import type { ChatRequest } from './schemas.js'

/**
 * Answers a checked chat body: a `chat.completion`, or a stream of chunks ending in `[DONE]`
 * after a real finish, or an explicit error when the upstream cut it.
 * @throws SkillError before anything is written: `invalid_argument` (from the translation),
 * every code of {@link sendUpstream}, and `upstream_error` for a cut non-streamed answer.
 * @see docs/gateway.md#chat-completions
 */
export async function chatCompletions(
  d: RouteDeps,
  req: IncomingMessage,
  res: ServerResponse,
  input: ChatRequest,
  log: RouteLog,
): Promise<void> {
  const chat = chatDraft(input)
  const { upstream, up } = await sendUpstream(d, req, res, chat, input.model, log)
  const headers = passHeaders(up, upstream.dropped)
  if (!chat.stream) {
    const response = (await collect(d, up)).response()
    return sendJson(res, 200, responsesToChat(response, upstream.slug, d.ctx.now), headers)
  }
  const streamer = new ChatStreamer(upstream.slug, chat.includeUsage, d.ctx.now)
  res.writeHead(200, { ...STREAM_HEADERS, ...headers })
  res.write(sse(streamer.first()))
  let broke: unknown
  try {
    for await (const batch of readBatches(up.body)) {
      let out = ''
      for (const ev of batch) for (const c of streamer.map(ev)) out += sse(c)
      if (out && !res.destroyed) res.write(out) // one write per upstream chunk
    }
  } catch (err) {
    broke = err // handled below: cut, silent past the idle bound, or the client left
  }
  if (res.destroyed) return
  // [DONE] only after a real finish; a broken stream ends with an explicit error instead.
  const error = streamEndError(broke, d.ctx.config.streamIdleMs)
  res.end(streamer.finished ? 'data: [DONE]\n\n' : sse({ error }))
}
