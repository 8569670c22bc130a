/**
 * The routing table: `METHOD path` to a handler, for the routes behind the guard. Plain routes
 * answer from what is in hand; a dialect route reads the body, checks it with its schema once at
 * the door and hands the typed value to its handler. A new dialect is one more row.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type * as z from '../zod.js'
import { readJsonBody, refuseTooLarge } from './body.js'
import type { ModelFeed } from './feed.js'
import { sendJson, sendPlainError } from './reply.js'
import { chatCompletions } from './chat-route.js'
import { wantsAnthropic } from './messages-errors.js'
import { countTokens, listAnthropicModels, messages } from './messages-route.js'
import { MessagesRequest } from './messages-schemas.js'
import { responses } from './responses-route.js'
import { listModels, type RouteDeps, type RouteLog } from './routes.js'
import { ChatRequest, checkBody, ResponsesRequest } from './schemas.js'
import { eventsRoute, mintRoute, usageRoute } from './ui-routes.js'
import type { AuthKind, UiSessions } from './ui-session.js'

/** What every handler may use: the route dependencies, the feed, the page sessions, the port. */
export interface RouterDeps extends RouteDeps {
  feed: ModelFeed
  sessions: UiSessions
  port: number
}

/** One authenticated request on its way to a handler. */
export interface Routed {
  req: IncomingMessage
  res: ServerResponse
  url: URL
  auth: AuthKind
  log: RouteLog
}

type Handler = (d: RouterDeps, r: Routed) => Promise<unknown> | unknown

/** A dialect: its body schema and the handler that takes the parsed value. */
function dialect<S extends z.ZodMiniType>(
  schema: S,
  handle: (d: RouterDeps, r: Routed, body: z.infer<S>) => Promise<void>,
): Handler {
  return async (d, r) => {
    const read = await readJsonBody(r.req)
    if (!read.ok && read.status === 413) return refuseTooLarge(r.req, r.res, read.message)
    if (!read.ok) return sendPlainError(r.res, read.status, read.code, read.message)
    const body = checkBody(schema, read.json)
    if (!body.ok) {
      return sendPlainError(r.res, 400, 'invalid_request_body', body.message, body.param)
    }
    return handle(d, r, body.data)
  }
}

const TABLE: Record<string, Handler> = {
  'GET /v1/models': (d, r) =>
    wantsAnthropic(r.req) ? listAnthropicModels(d, r.res) : listModels(d, r.res),
  'GET /v1/models/events': (d, r) => eventsRoute(r.res, d.feed),
  'POST /v1/ui/code': (d, r) => mintRoute(r.res, r.auth, d.sessions),
  'GET /v1/ui/usage': (d, r) => usageRoute(r.res, d.ctx),
  'POST /v1/responses': dialect(ResponsesRequest, (d, r, body) =>
    responses(d, r.req, r.res, body, r.log),
  ),
  'POST /v1/chat/completions': dialect(ChatRequest, (d, r, body) =>
    chatCompletions(d, r.req, r.res, body, r.log),
  ),
  'POST /v1/messages': dialect(MessagesRequest, (d, r, body) =>
    messages(d, r.req, r.res, body, r.log),
  ),
  'POST /v1/messages/count_tokens': dialect(MessagesRequest, async (d, r, body) =>
    countTokens(d, r.res, body),
  ),
}

/**
 * Answers an authenticated request from the table; 404 `not_found` for any other route.
 * `GET /__whoami` (pid and port, for `serve --stop` to know its gateway) is the local key's only.
 * @throws whatever a handler throws (the server turns it into an error answer).
 * @see docs/gateway.md#routes
 */
export async function route(d: RouterDeps, r: Routed): Promise<unknown> {
  const key = `${r.req.method} ${r.url.pathname}`
  if (key === 'GET /__whoami' && r.auth === 'bearer') {
    return sendJson(r.res, 200, { pid: process.pid, port: d.port })
  }
  const handler = Object.hasOwn(TABLE, key) ? TABLE[key] : undefined
  if (handler) return handler(d, r)
  return sendPlainError(r.res, 404, 'not_found', `No route ${r.req.method} ${r.url.pathname}`)
}
