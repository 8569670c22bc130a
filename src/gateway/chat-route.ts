/**
 * `POST /v1/chat/completions`: the Chat Completions dialect, translated to the one upstream
 * request (chat.ts) and its answer translated back (chat-reply.ts), one write per upstream chunk.
 * @see docs/gateway.md#chat-completions
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { readBatches } from '../backend/sse.js'
import { chatDraft } from './chat.js'
import { ChatStreamer, responsesToChat } from './chat-reply.js'
import type { EventData } from '../backend/events.js'
import { streamFailure } from '../backend/failure.js'
import { sendJson, sse } from './reply.js'
import {
  chatErrorFrame,
  endOfStream,
  isFailure,
  streamEndError,
  upstreamFailure,
} from './stream-error.js'
import {
  collect,
  passHeaders,
  sendUpstream,
  STREAM_HEADERS,
  type RouteDeps,
  type RouteLog,
} from './routes.js'
import type { ChatRequest } from './schemas.js'

/**
 * Answers a checked chat body: a `chat.completion`, or a stream of chunks ending in `[DONE]`
 * after a real finish, or an error chunk carrying the code of the upstream's failure (or
 * `stream_interrupted` when it was cut).
 * @throws SkillError before anything is written: `invalid_argument` (from the translation),
 * every code of {@link sendUpstream}, the code of an upstream failure event, and
 * `upstream_error` for a cut non-streamed answer.
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
  // The headers and the role chunk go with the first upstream events, not before: until a byte
  // has gone out, an upstream failure can still be answered as the HTTP error it stands for.
  const begin = () => {
    if (res.headersSent) return ''
    res.writeHead(200, { ...STREAM_HEADERS, ...headers })
    return sse(streamer.first())
  }
  let failed: EventData | undefined
  let broke: unknown
  try {
    for await (const batch of readBatches(up.body)) {
      let out = ''
      for (const ev of batch) {
        if (isFailure(ev.type)) {
          failed = ev.data
          break
        }
        for (const c of streamer.map(ev)) out += sse(c)
      }
      if (failed && !out && !res.headersSent) throw streamFailure(failed, d.ctx.now())
      const data = begin() + out
      if (data && !res.destroyed) res.write(data) // one write per upstream chunk
      if (failed) break
    }
  } catch (err) {
    if (!res.headersSent) throw upstreamFailure(err, d.ctx.config.streamIdleMs) // nothing sent yet
    broke = err // handled below: cut, silent past the idle bound, or the client left
  }
  if (res.destroyed) return
  const head = begin()
  // [DONE] only after a real finish; a failed or broken stream ends with an error chunk that
  // carries the failure's code instead (the upstream's failure, the idle bound, or the cut).
  res.end(
    head +
      (streamer.finished && !failed
        ? 'data: [DONE]\n\n'
        : chatErrorFrame(
            failed
              ? endOfStream(failed, d.ctx.now())
              : streamEndError(broke, d.ctx.config.streamIdleMs),
          )),
  )
}
