/**
 * `POST /v1/responses`: the Responses dialect. A stream is forwarded byte for byte as it arrives
 * and read on the side; only the completion is rewritten, with the output rebuilt from the items.
 * @see docs/gateway.md#responses
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { ResponseCollector } from '../backend/collect.js'
import { SsePassThrough } from '../backend/sse.js'
import { responsesDraft } from '../backend/upstream.js'
import { streamFailure } from '../backend/failure.js'
import { sendJson, sse } from './reply.js'
import {
  endOfStream,
  isFailure,
  responsesErrorFrame,
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
import type { ResponsesRequest } from './schemas.js'

/**
 * Resolves once what was written this tick is on the socket: node:http flushes a response's
 * writes on the next tick, and this runs right after that, so bookkeeping never delays bytes.
 */
const flushed = () => new Promise<void>((resolve) => process.nextTick(resolve))

/** The events rewritten rather than passed on: the completion, and the two failure events. */
const MARKERS = ['response.completed', 'response.failed', 'event: error']

/**
 * Answers a checked `/v1/responses` body: the complete response object, or the stream. A stream
 * the upstream cuts ends with an `error` event (`stream_interrupted`), one that fails with an
 * `error` event carrying the failure's code (`usage_limit_reached`, ...), never a clean end.
 * @throws SkillError before anything is written: every code of {@link sendUpstream}, the code
 * of an upstream failure event ({@link streamFailure}), and `upstream_error` for a cut
 * non-streamed answer.
 * @see docs/gateway.md#responses
 */
export async function responses(
  d: RouteDeps,
  req: IncomingMessage,
  res: ServerResponse,
  input: ResponsesRequest,
  log: RouteLog,
): Promise<void> {
  const { upstream, up } = await sendUpstream(d, req, res, responsesDraft(input), input.model, log)
  const headers = passHeaders(up, upstream.dropped)
  if (input.stream !== true) {
    return sendJson(res, 200, (await collect(d, up)).response(), headers)
  }
  const collector = new ResponseCollector(d.ctx.now)
  // The headers go with the first bytes: until then a failure can still be an HTTP error.
  const begin = () => {
    if (!res.headersSent) res.writeHead(200, { ...STREAM_HEADERS, ...headers })
  }
  // The upstream bytes go out as they arrive, one write per network read, as a pipe does. Only
  // the completion and failures are rewritten: some streams complete with `output: []`, so it
  // carries the list rebuilt from the items instead; a failure ends with an error event
  // carrying the code it maps to. A read without either goes out untouched before it is read
  // for the record; one with them goes out in one write with what they become (a second write
  // per answer cost more, in both processes, than the rebuild it let the first bytes skip).
  const pass = new SsePassThrough(MARKERS)
  let failed = false
  let broke: unknown
  try {
    for await (const chunk of up.body) {
      // The answer is over (ended with its completion or failure, or the client left): what
      // still comes is read to the end, so the upstream connection stays reusable, and dropped.
      // A write after the end would take the whole process down.
      if (res.writableEnded || res.destroyed) continue
      const { raw, rest } = pass.split(chunk)
      if (!rest) {
        if (!raw) continue
        begin()
        res.write(raw)
        await flushed()
        for (const ev of pass.parse(raw)) collector.add(ev)
        continue
      }
      if (raw) for (const ev of pass.parse(raw)) collector.add(ev)
      let out = raw
      for (const ev of pass.parse(rest)) {
        if (isFailure(ev.type)) {
          collector.add(ev)
          // Nothing sent yet: the client gets the HTTP error this failure stands for.
          if (!res.headersSent && !raw) throw streamFailure(ev.data, d.ctx.now())
          // `response.failed` is the backend's own event (Codex reads it): it goes on, and
          // an `error` event with the mapped code follows it.
          if (ev.type === 'response.failed') out += sse(ev.raw, ev.type)
          failed = true
          break
        }
        collector.add(ev)
        if (ev.type !== 'response.completed') {
          out += sse(ev.raw, ev.type)
          continue
        }
        // The completion is the last event: what follows it, here or in a later read, is dropped.
        out += sse({ ...ev.data, response: collector.response() }, ev.type)
        break
      }
      begin()
      // End with the completion: one write instead of two.
      if (collector.completed) res.end(out)
      else if (failed)
        res.end(out + responsesErrorFrame(endOfStream(collector.failed, d.ctx.now())))
      else if (out) res.write(out)
    }
  } catch (err) {
    if (!res.headersSent) throw upstreamFailure(err, d.ctx.config.streamIdleMs) // nothing sent yet
    broke = err // upstream broke, went silent past the idle bound, or the client left
  }
  if (res.writableEnded || res.destroyed) return
  begin()
  res.end(
    responsesErrorFrame(
      collector.failed
        ? endOfStream(collector.failed, d.ctx.now())
        : streamEndError(broke, d.ctx.config.streamIdleMs),
    ),
  )
}
