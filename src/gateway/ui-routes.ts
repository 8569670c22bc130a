/**
 * The gateway routes of the live picker: the static reference page (no auth, no data), the
 * one-time code exchange, the bearer-only code minting and the model feed. The gateway's router
 * calls {@link uiPublicRoute} before its auth check, and the two handlers below after it.
 */
import { readFileSync } from 'node:fs'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { ModelFeed } from './feed.js'
import { PAGE_HEADERS, redeemCode, type AuthKind, type UiSessions } from './ui-session.js'

const ASSETS: Record<string, { file: string; type: string }> = {
  '/ui': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/ui/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/ui/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/ui/app.css': { file: 'app.css', type: 'text/css; charset=utf-8' },
}

// Read once: the page is a few kilobytes and the same for everyone (it holds no data).
const cache = new Map<string, Buffer>()
const asset = (file: string) => {
  let body = cache.get(file)
  if (!body) cache.set(file, (body = readFileSync(new URL(`./ui/${file}`, import.meta.url))))
  return body
}

/** The paths the page's routes own, so the gateway can tell them from its API. */
export const UI_PATHS = new Set([...Object.keys(ASSETS), '/v1/models/events', '/v1/ui/code'])

/**
 * Serves `GET /ui` (and its script and style sheet) and redeems `GET /ui?code=...`. These need no
 * cookie: a link clicked on another site is a cross-site navigation, which carries no
 * `SameSite=Strict` cookie, and the page's own same-origin requests then do.
 * @returns true when the request was one of these and has been answered. Never fails (a bad code
 * is a 403 page).
 * @see docs/gateway.md#reference-page
 */
export function uiPublicRoute(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  sessions: UiSessions,
): boolean {
  if (url.pathname === '/favicon.ico') {
    res.writeHead(204, PAGE_HEADERS).end() // no icon, and no 404 in the browser console
    return true
  }
  const a = ASSETS[url.pathname]
  if (!a || (req.method !== 'GET' && req.method !== 'HEAD')) return false
  const code = url.searchParams.get('code')
  if (code !== null && a.file === 'index.html') {
    redeemCode(sessions, code, res)
    return true
  }
  const body = asset(a.file)
  res.writeHead(200, { ...PAGE_HEADERS, 'content-type': a.type, 'content-length': body.length })
  res.end(req.method === 'HEAD' ? undefined : body)
  return true
}

const json = (res: ServerResponse, status: number, body: object) => {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' })
  res.end(JSON.stringify(body))
}

/**
 * `POST /v1/ui/code`: mints a one-time page link. Only the bearer key may ask (the page's own
 * cookie may not mint more links). Answers `{ui_url, expires_at}`, or 403 for the cookie.
 * @see docs/gateway.md#reference-page
 */
export function mintRoute(res: ServerResponse, auth: AuthKind, sessions: UiSessions): void {
  if (auth !== 'bearer') {
    return json(res, 403, {
      error: {
        message: 'Only the local key may mint a page link.',
        type: 'permission_error',
        code: 'invalid_argument',
      },
    })
  }
  json(res, 200, sessions.mint())
}

/**
 * `GET /v1/models/events`: the live model feed (bearer key or page cookie). A feed that cannot
 * start closes the connection.
 * @see docs/gateway.md#model-feed
 */
export function eventsRoute(res: ServerResponse, feed: ModelFeed): void {
  feed.subscribe(res).catch(() => res.destroy())
}
