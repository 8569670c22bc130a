/**
 * `POST /v1/responses`: the Responses dialect. A stream is forwarded byte for byte as it arrives
 * and read on the side; only the completion is rewritten, with the output rebuilt from the items.
 * @see docs/gateway.md#responses
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { ResponseCollector } from '../backend/collect.js'
import { SsePassThrough } from '../backend/sse.js'
import { responsesDraft } from '../backend/upstream.js'
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
import type { ResponsesRequest } from './schemas.js'

/**
 * Resolves once what was written this tick is on the socket: node:http flushes a response's
 * writes on the next tick, and this runs right after that, so bookkeeping never delays bytes.
 */
const flushed = () => new Promise<void>((resolve) => process.nextTick(resolve))

/**
 * Answers a checked `/v1/responses` body: the complete response object, or the stream. A stream
 * the upstream cuts ends with an `error` event (`stream_interrupted`), never a clean end.
 * @throws SkillError before anything is written: every code of {@link sendUpstream}, and
 * `upstream_error` for a cut non-streamed answer.
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
  res.writeHead(200, { ...STREAM_HEADERS, ...headers })
  // The upstream bytes go out as they arrive, one write per network chunk, and are read for the
  // record only once they are on their way. Only the completion is rewritten: some streams
  // complete with `output: []`, so it carries the list rebuilt from the items instead.
  const pass = new SsePassThrough('response.completed')
  let broke: unknown
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
  } catch (err) {
    broke = err // upstream broke, went silent past the idle bound, or the client left
  }
  if (res.writableEnded || res.destroyed) return
  if (!collector.completed) {
    res.write(
      sse({ type: 'error', error: streamEndError(broke, d.ctx.config.streamIdleMs) }, 'error'),
    )
  }
  res.end()
}
