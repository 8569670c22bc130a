/**
 * `serve`: the OpenAI-compatible gateway on 127.0.0.1. Every request needs the local key (or the
 * reference page's session cookie), a loopback `Host` (against DNS rebinding) and a body under
 * the cap; CORS only for the one origin named with --cors-origin.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Ctx } from '../context.js'
import { redactDeep } from '../redact.js'
import { openStore } from '../store/credentials.js'
import { createModelFeed } from './feed.js'
import { bearerCheck, loadOrCreateKey } from './key.js'
import { catalogCache, memoStore } from './memo.js'
import { sendError, sendJson, sendPlainError } from './reply.js'
import { chatCompletions, listModels, responses, type RouteDeps, type RouteLog } from './routes.js'
import { ChatRequest, checkBody, ResponsesRequest } from './schemas.js'
import { createUiSessions, type AuthKind, type UiSessions } from './ui-session.js'
import { eventsRoute, mintRoute, uiPublicRoute } from './ui-routes.js'

export const MAX_BODY_BYTES = 20 * 1024 * 1024
const LOOPBACK_HOST = /^(127(?:\.\d{1,3}){3}|localhost|\[::1\])(:\d+)?$/i

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

function readBody(req: IncomingMessage): Promise<Buffer | 'too_large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (c: Buffer) => {
      size += c.length
      if (size > MAX_BODY_BYTES) {
        resolve('too_large')
        req.destroy()
      } else chunks.push(c)
    })
    req.on('end', () => resolve(Buffer.concat(chunks)))
    req.on('error', reject)
  })
}

/** Starts the gateway. Credentials and catalog are read from disk as they change. */
export async function startGateway(ctx: Ctx, opts: GatewayOptions): Promise<Gateway> {
  const keyMatches = bearerCheck(await loadOrCreateKey(ctx))
  const deps: RouteDeps = {
    ctx,
    store: memoStore(await openStore(ctx)),
    catalog: catalogCache(ctx),
  }
  const feed = createModelFeed(ctx)
  let sessions: UiSessions = createUiSessions(0)
  const log = opts.log ?? (() => {})

  async function handle(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    auth: AuthKind,
    entry: RouteLog,
  ) {
    const route = `${req.method} ${url.pathname}`
    if (route === 'GET /v1/models') return listModels(deps, res)
    if (route === 'GET /v1/models/events') return eventsRoute(res, feed)
    if (route === 'POST /v1/ui/code') return mintRoute(res, auth, sessions)
    if (route === 'GET /__whoami' && auth === 'bearer')
      return sendJson(res, 200, {
        pid: process.pid,
        port: server.address() && (server.address() as AddressInfo).port,
      })
    if (route !== 'POST /v1/responses' && route !== 'POST /v1/chat/completions') {
      return sendPlainError(res, 404, 'not_found', `No route ${req.method} ${url.pathname}`)
    }
    if (Number(req.headers['content-length'] ?? 0) > MAX_BODY_BYTES) {
      return sendPlainError(
        res,
        413,
        'request_too_large',
        `Request bodies are limited to ${MAX_BODY_BYTES} bytes`,
      )
    }
    const raw = await readBody(req)
    if (raw === 'too_large')
      return sendPlainError(
        res,
        413,
        'request_too_large',
        `Request bodies are limited to ${MAX_BODY_BYTES} bytes`,
      )
    let json: unknown
    try {
      json = JSON.parse(raw.toString('utf8'))
    } catch {
      return sendPlainError(res, 400, 'invalid_json', 'The request body must be a JSON object')
    }
    if (route === 'POST /v1/responses') {
      const body = checkBody(ResponsesRequest, json)
      if (!body.ok)
        return sendPlainError(res, 400, 'invalid_request_body', body.message, body.param)
      return responses(deps, req, res, body.data, entry)
    }
    const body = checkBody(ChatRequest, json)
    if (!body.ok) return sendPlainError(res, 400, 'invalid_request_body', body.message, body.param)
    return chatCompletions(deps, req, res, body.data, entry)
  }

  const server = createServer((req, res) => {
    const started = performance.now()
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    const entry: RouteLog = {}
    res.on('finish', () =>
      log(
        redactDeep({
          t: new Date().toISOString(),
          method: req.method,
          path: url.pathname,
          status: res.statusCode,
          latency_ms: Math.round((performance.now() - started) * 10) / 10,
          ...entry,
        }),
      ),
    )
    if (!LOOPBACK_HOST.test(req.headers.host ?? '')) {
      return sendPlainError(res, 421, 'host_not_allowed', 'Only loopback Host names are accepted')
    }
    const cors = opts.corsOrigin && req.headers.origin === opts.corsOrigin
    if (cors) {
      res.setHeader('access-control-allow-origin', opts.corsOrigin!)
      res.setHeader('vary', 'Origin')
      if (req.method === 'OPTIONS') {
        res.writeHead(204, {
          'access-control-allow-methods': 'GET, POST, OPTIONS',
          'access-control-allow-headers': 'authorization, content-type',
          'access-control-max-age': '600',
        })
        return res.end()
      }
    }
    if (uiPublicRoute(req, res, url, sessions)) return
    let auth: AuthKind
    if (keyMatches(req.headers.authorization)) auth = 'bearer'
    else {
      const c = sessions.cookieAuth(req)
      if (c === 'bad_origin')
        return sendPlainError(res, 403, 'bad_origin', 'Cross-origin request refused')
      if (c !== 'ok')
        return sendPlainError(
          res,
          401,
          'invalid_api_key',
          'Missing or wrong local key (Authorization: Bearer <key>)',
        )
      auth = 'cookie'
    }
    handle(req, res, url, auth, entry).catch((err) => {
      if (!res.headersSent) sendError(res, err)
      else res.destroy()
    })
  })
  server.keepAliveTimeout = 30_000
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port, '127.0.0.1', () => resolve())
  })
  const port = (server.address() as AddressInfo).port
  sessions = createUiSessions(port)
  return {
    port,
    url: `http://127.0.0.1:${port}/v1`,
    close: () =>
      new Promise<void>((resolve) => {
        feed.close()
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
