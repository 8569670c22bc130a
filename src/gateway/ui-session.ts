/**
 * Browser sessions for the reference page (`/ui`). Jupyter's token-URL convention, made single
 * use: the running gateway mints a one-time code on a bearer-key request (`serve --ui-url`), the
 * user opens `http://127.0.0.1:<port>/ui?code=<code>`, and the gateway swaps the code for an
 * `HttpOnly; SameSite=Strict` session cookie and redirects to `/ui` without it. A copy of the URL
 * left in a transcript is worthless once used or after 5 minutes.
 *
 * Only hashes are kept, in memory: a session lasts until the gateway stops.
 */
import { createHash, randomBytes } from 'node:crypto'
import { commandLine } from '../proc.js'
import type { IncomingMessage, ServerResponse } from 'node:http'

/** How long a minted code may be redeemed. */
export const CODE_TTL_MS = 5 * 60_000
/** Codes outstanding at once; minting more drops the oldest (a runaway loop can't grow memory). */
const MAX_CODES = 64

/** How a request to the gateway authenticated. */
export type AuthKind = 'bearer' | 'cookie'

export interface UiSessions {
  /** `cco_ui_<port>`: browsers scope cookies by host, not by port, so the port is in the name. */
  readonly cookieName: string
  /** Mints a one-time code; the URL is the only place it appears. */
  mint(): { ui_url: string; expires_at: string }
  /** Swaps a code for a cookie value; undefined when used, expired or unknown. */
  redeem(code: string): string | undefined
  /** True when the request carries this gateway's live session cookie. */
  hasSession(req: IncomingMessage): boolean
  /**
   * The cookie check the gateway's auth runs when there is no bearer key: `ok`, `none` (no live
   * session), or `bad_origin` (a cookie POST whose Origin is not the gateway's own: CSRF).
   */
  cookieAuth(req: IncomingMessage): 'ok' | 'none' | 'bad_origin'
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex')
const random = () => randomBytes(32).toString('base64url')

/**
 * The session store of one gateway listening on `port`. `now` is the injected clock (the gateway
 * passes its context's). Never fails.
 * @see docs/gateway.md#reference-page
 */
export function createUiSessions(port: number, now: () => number = Date.now): UiSessions {
  const codes = new Map<string, number>() // sha256(code) -> expires at
  const sessions = new Set<string>() // sha256(cookie value)
  const cookieName = `cco_ui_${port}`

  const readCookie = (req: IncomingMessage): string | undefined => {
    for (const part of (req.headers.cookie ?? '').split(';')) {
      const eq = part.indexOf('=')
      if (eq > 0 && part.slice(0, eq).trim() === cookieName) return part.slice(eq + 1).trim()
    }
    return undefined
  }
  const hasSession = (req: IncomingMessage) => {
    const v = readCookie(req)
    return v !== undefined && sessions.has(sha256(v))
  }

  return {
    cookieName,
    mint() {
      const t = now()
      for (const [h, exp] of codes) if (exp <= t) codes.delete(h)
      while (codes.size >= MAX_CODES) codes.delete(codes.keys().next().value as string)
      const code = random()
      codes.set(sha256(code), t + CODE_TTL_MS)
      return {
        ui_url: `http://127.0.0.1:${port}/ui?code=${code}`,
        expires_at: new Date(t + CODE_TTL_MS).toISOString(),
      }
    },
    redeem(code) {
      const h = sha256(code)
      const exp = codes.get(h)
      codes.delete(h) // single use, whatever the outcome
      if (exp === undefined || exp <= now()) return undefined
      const value = random()
      sessions.add(sha256(value))
      return value
    },
    hasSession,
    cookieAuth(req) {
      if (!hasSession(req)) return 'none'
      const method = req.method ?? 'GET'
      if (method === 'GET' || method === 'HEAD') return 'ok'
      // The gateway's own origin is the loopback Host it was reached on (the gateway has already
      // refused a non-loopback Host), on its own port.
      const host = req.headers.host ?? ''
      const own = host.endsWith(`:${port}`) ? `http://${host}` : undefined
      return own !== undefined && req.headers.origin === own ? 'ok' : 'bad_origin'
    },
  }
}

/** Headers every page response carries: strict CSP, no sniffing, no framing, no referrer. */
export const PAGE_HEADERS = {
  'content-security-policy':
    "default-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; object-src 'none'; " +
    // No script may turn a string into HTML (innerHTML and the like throw): the page builds
    // every element itself, so an answer can never become markup.
    "require-trusted-types-for 'script'; trusted-types 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cache-control': 'no-store',
} as const

/** The refusal page names the command with its real path (this gateway's own entry). */
const refused =
  () => `This link to the chatgpt-codex-onboarding page is used up, expired or unknown.
Links work once, for 5 minutes, and only until the gateway restarts.

Get a new one: ask your agent for a new page link, or run

  ${commandLine('serve', '--ui-url')}
`

/**
 * `GET /ui?code=...`: sets the session cookie and redirects to `/ui` without the code, or answers
 * 403 with a plain page saying how to get a new link, and no cookie.
 * @see docs/gateway.md#reference-page
 */
export function redeemCode(sessions: UiSessions, code: string, res: ServerResponse): void {
  const value = sessions.redeem(code)
  if (value === undefined) {
    res.writeHead(403, { ...PAGE_HEADERS, 'content-type': 'text/plain; charset=utf-8' })
    res.end(refused())
    return
  }
  res.writeHead(303, {
    ...PAGE_HEADERS,
    location: '/ui',
    'set-cookie': `${sessions.cookieName}=${value}; Path=/; HttpOnly; SameSite=Strict`,
  })
  res.end()
}
