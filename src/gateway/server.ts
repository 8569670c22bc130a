/**
 * `serve`: the OpenAI-compatible gateway on 127.0.0.1. Each request goes through the guard
 * (loopback `Host`, CORS, who is asking: headers only), then its target is parsed, the page's
 * public routes are served, the unauthenticated are refused, and the routing table answers.
 * Nothing a client sends can end the process: every failure is an answer and a log line.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Ctx } from '../context.js'
import { redactDeep } from '../redact.js'
import { openStore } from '../store/credentials.js'
import { createModelFeed } from './feed.js'
import { cors, identify, loopbackHost, parseTarget, refuseConnect } from './guard.js'
import { bearerCheck, loadOrCreateKey } from './key.js'
import { catalogCache, memoStore } from './memo.js'
import { sendError, sendPlainError } from './reply.js'
import { route, type RouterDeps } from './router.js'
import type { RouteLog } from './routes.js'
import { uiPublicRoute } from './ui-routes.js'
import { createSlots } from './slots.js'
import { createUiSessions } from './ui-session.js'

export { MAX_BODY_BYTES } from './body.js'

/** The request log's entry, filled as the request goes: its path once parsed, then the route's. */
type LogEntry = RouteLog & { path?: string }

export interface GatewayOptions {
  port: number
  corsOrigin?: string
  /** One JSON object per request (never a token, a key or a prompt). */
  log?: (line: Record<string, unknown>) => void
}

export interface Gateway {
  port: number
  url: string
  close(): Promise<void>
}

/**
 * Starts the gateway on `127.0.0.1:<port>` (0 picks a free port). Credentials and the catalog
 * are read from disk as they change, so a sign-in elsewhere needs no restart.
 * @throws SkillError from the local key (`state_corrupt`, `state_unsafe`) or the listen (EADDRINUSE).
 * @see docs/gateway.md#serve
 */
export async function startGateway(ctx: Ctx, opts: GatewayOptions): Promise<Gateway> {
  const keyMatches = bearerCheck(await loadOrCreateKey(ctx))
  const deps: RouterDeps = {
    ctx,
    store: memoStore(await openStore(ctx)),
    catalog: catalogCache(ctx),
    feed: createModelFeed(ctx),
    sessions: createUiSessions(0),
    slots: createSlots(),
    port: 0,
  }
  const log = opts.log ?? (() => {})

  function handle(req: IncomingMessage, res: ServerResponse, entry: LogEntry): unknown {
    if (!loopbackHost(req)) {
      return sendPlainError(res, 421, 'host_not_allowed', 'Only loopback Host names are accepted')
    }
    if (cors(req, res, opts.corsOrigin)) return
    const caller = identify(req, keyMatches, deps.sessions)
    const url = parseTarget(req.url)
    if (!url) {
      return sendPlainError(res, 400, 'invalid_request_target', 'The request target is not a path')
    }
    entry.path = url.pathname
    if (uiPublicRoute(req, res, url, deps.sessions)) return
    if (!caller.auth) return sendPlainError(res, caller.status, caller.code, caller.message)
    return route(deps, { req, res, url, auth: caller.auth, log: entry })
  }

  const server = createServer((req, res) => {
    const started = performance.now()
    const entry: LogEntry = {}
    res.on('finish', () => {
      const { path, ...rest } = entry
      log(
        redactDeep({
          t: new Date(ctx.now()).toISOString(),
          method: req.method,
          // Never the query: a page link's one-time code travels there.
          path: path ?? parseTarget(req.url)?.pathname ?? req.url?.split('?')[0],
          status: res.statusCode,
          latency_ms: Math.round((performance.now() - started) * 10) / 10,
          ...rest,
        }),
      )
    })
    const fail = (err: unknown) => {
      if (!res.headersSent) sendError(res, err)
      else res.destroy()
    }
    try {
      const out = handle(req, res, entry)
      if (out instanceof Promise) out.catch(fail)
    } catch (err) {
      fail(err)
    }
  })
  server.keepAliveTimeout = 30_000
  refuseConnect(server)
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port, '127.0.0.1', () => resolve())
  })
  deps.port = (server.address() as AddressInfo).port
  deps.sessions = createUiSessions(deps.port, ctx.now)
  return {
    port: deps.port,
    url: `http://127.0.0.1:${deps.port}/v1`,
    close: () =>
      new Promise<void>((resolve) => {
        deps.feed.close()
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
