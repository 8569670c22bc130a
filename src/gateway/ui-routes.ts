/**
 * The gateway routes of the page: the static page itself (no auth, no data), the one-time code
 * exchange, the bearer-only code minting, the model feed and the usage snapshot. The gateway's
 * router calls {@link uiPublicRoute} before its auth check, and the handlers below after it.
 * @see docs/ui.md
 */
import { readFileSync } from 'node:fs'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { gzipSync } from 'node:zlib'
import type { Ctx } from '../context.js'
import { loadUsage, type Usage } from '../backend/usage.js'
import type { ModelFeed } from './feed.js'
import { sendError } from './reply.js'
import { PAGE_HEADERS, redeemCode, type AuthKind, type UiSessions } from './ui-session.js'

const HTML = 'text/html; charset=utf-8'
const JS = 'text/javascript; charset=utf-8'
const CSS = 'text/css; charset=utf-8'

/** Where a file of the page comes from: our `ui/` folder, or an installed package. */
type Source = { file: string } | { pkg: string; file: string }

const ASSETS: Record<string, Source & { type: string }> = {
  '/ui': { file: 'index.html', type: HTML },
  '/ui/': { file: 'index.html', type: HTML },
  '/ui/app.js': { file: 'app.js', type: JS },
  '/ui/chat.js': { file: 'chat.js', type: JS },
  '/ui/markdown.js': { file: 'markdown.js', type: JS },
  '/ui/sse.js': { file: 'sse.js', type: JS },
  '/ui/usage.js': { file: 'usage.js', type: JS },
  '/ui/app.css': { file: 'app.css', type: CSS },
  // markdown-it's own browser build: dist/ui-vendor/ carries it (the release tarball installs no
  // dependencies); a source run reads it from the installed package. The page loads nothing from
  // elsewhere, and the version is the one package-lock.json pins.
  '/ui/vendor/markdown-it.js': {
    pkg: 'markdown-it',
    file: 'dist/browser/markdown-it.esm.min.mjs',
    type: JS,
  },
}

/**
 * Reads one file of the page. `import.meta.url` is this source file's URL, also in the bundle
 * (scripts/build.mjs points it at src/), so both `ui/` and `node_modules` are found from here.
 */
function readSource(s: Source): Buffer {
  if (!('pkg' in s)) return readFileSync(new URL(`./ui/${s.file}`, import.meta.url))
  let text: string
  try {
    text = readFileSync(new URL(`../../dist/ui-vendor/${s.pkg}.js`, import.meta.url), 'utf8')
  } catch {
    const manifest = createRequire(import.meta.url).resolve(`${s.pkg}/package.json`)
    text = readFileSync(join(dirname(manifest), s.file), 'utf8')
  }
  // The source map is not shipped to the browser: drop the comment that would ask for it.
  return Buffer.from(text.replace(/\n\/\/# sourceMappingURL=\S+\s*$/, '\n'))
}

// Read and compressed once: the page is the same for everyone (it holds no data).
const cache = new Map<string, { raw: Buffer; gzip: Buffer }>()
const asset = (s: Source) => {
  const key = 'pkg' in s ? `${s.pkg}/${s.file}` : s.file
  let body = cache.get(key)
  if (!body) {
    const raw = readSource(s)
    cache.set(key, (body = { raw, gzip: gzipSync(raw, { level: 9 }) }))
  }
  return body
}

/** The paths the page's routes own, so the gateway can tell them from its API. */
export const UI_PATHS = new Set([
  ...Object.keys(ASSETS),
  '/v1/models/events',
  '/v1/ui/code',
  '/v1/ui/usage',
])

/**
 * Serves `GET /ui` (and its scripts and style sheet) and redeems `GET /ui?code=...`. These need
 * no cookie: a link clicked on another site is a cross-site navigation, which carries no
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
  const { raw, gzip } = asset(a)
  const zipped = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))
  const body = zipped ? gzip : raw
  res.writeHead(200, {
    ...PAGE_HEADERS,
    'content-type': a.type,
    'content-length': body.length,
    vary: 'accept-encoding',
    ...(zipped ? { 'content-encoding': 'gzip' } : {}),
  })
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

/** The usage load in flight, per gateway context: page loads at the same moment share it. */
const pendingUsage = new WeakMap<Ctx, Promise<Usage>>()

/**
 * `GET /v1/ui/usage`: the subscription's usage windows for the page's bars, from the usage cache
 * (younger than 60 s), else from one `usage` request. Page loads at the same moment share that
 * one request. Fails like the gateway's other routes (401 not_signed_in, 429, 502 ...).
 * `load` is injected by tests.
 * @see docs/ui.md
 */
export async function usageRoute(
  res: ServerResponse,
  ctx: Ctx,
  load: (ctx: Ctx) => Promise<Usage> = loadUsage,
): Promise<void> {
  let pending = pendingUsage.get(ctx)
  if (!pending) {
    pending = load(ctx).finally(() => pendingUsage.delete(ctx))
    pendingUsage.set(ctx, pending)
  }
  try {
    const u = await pending
    json(res, 200, {
      plan: u.plan,
      limit_reached: u.limit_reached,
      windows: u.windows,
      fetched_at: u.fetched_at,
      source: u.usage_source,
    })
  } catch (err) {
    sendError(res, err)
  }
}
