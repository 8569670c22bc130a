/**
 * The request guard: what the gateway checks from the headers alone, before it parses the target
 * or reads a byte of the body. A loopback `Host` (against DNS rebinding), CORS for the one origin
 * named with `--cors-origin`, and who is asking (the local key, else the page's cookie).
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'

/**
 * Answers `CONNECT` (which node hands to a 'connect' listener, and without one drops the socket
 * unanswered) with a coded 405 and closes. Never fails.
 * @see docs/gateway.md#malformed-requests
 */
export function refuseConnect(server: Server): void {
  server.on('connect', (_req: IncomingMessage, socket: Duplex) => {
    const body = 'method_not_allowed: CONNECT is not served here'
    socket.on('error', () => {})
    socket.end(
      `HTTP/1.1 405 Method Not Allowed\r\ncontent-type: text/plain\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`,
    )
  })
}
import type { AuthKind, UiSessions } from './ui-session.js'

const LOOPBACK_HOST = /^(127(?:\.\d{1,3}){3}|localhost|\[::1\])(:\d+)?$/i

/**
 * True when the `Host` header names a loopback address (with any port). A page on another site
 * that rebinds its DNS name to 127.0.0.1 still sends its own name here, so it is refused (421).
 * @see docs/gateway.md#security
 */
export function loopbackHost(req: IncomingMessage): boolean {
  return LOOPBACK_HOST.test(req.headers.host ?? '')
}

/**
 * Adds the CORS headers when the request's `Origin` is the one allowed origin, and answers its
 * preflight (`OPTIONS`) with 204. Any other origin gets no CORS header at all.
 * @returns true when the request was a preflight and has been answered.
 * @see docs/gateway.md#cors
 */
export function cors(req: IncomingMessage, res: ServerResponse, origin?: string): boolean {
  if (!origin || req.headers.origin !== origin) return false
  res.setHeader('access-control-allow-origin', origin)
  res.setHeader('vary', 'Origin')
  if (req.method !== 'OPTIONS') return false
  res.writeHead(204, {
    'access-control-allow-methods': 'GET, POST, OPTIONS',
    // Anthropic's browser clients send their key and version as headers of their own.
    'access-control-allow-headers':
      'authorization, content-type, x-api-key, anthropic-version, anthropic-beta',
    'access-control-max-age': '600',
  })
  res.end()
  return true
}

/** Who a request is: a kind of auth, or the refusal (status, code, message) it would get. */
export type Caller =
  { auth: AuthKind } | { auth?: undefined; status: 401 | 403; code: string; message: string }

/**
 * Decides who is asking from the headers only: the local key (`Authorization: Bearer` or
 * `x-api-key`), else the
 * page's session cookie. Refusals: 401 `invalid_api_key` (no key, a wrong one, no live session),
 * 403 `bad_origin` (a cookie POST from another origin: CSRF).
 * @see docs/gateway.md#authentication
 */
export function identify(
  req: IncomingMessage,
  keyMatches: (header: string | undefined) => boolean,
  sessions: UiSessions,
): Caller {
  if (keyMatches(req.headers.authorization)) return { auth: 'bearer' }
  // Anthropic's clients send the key as `x-api-key`; it is the same local key.
  const apiKey = req.headers['x-api-key']
  if (typeof apiKey === 'string' && keyMatches(`Bearer ${apiKey}`)) return { auth: 'bearer' }
  const c = sessions.cookieAuth(req)
  if (c === 'ok') return { auth: 'cookie' }
  if (c === 'bad_origin') {
    return { status: 403, code: 'bad_origin', message: 'Cross-origin request refused' }
  }
  return {
    status: 401,
    code: 'invalid_api_key',
    message: 'Missing or wrong local key (Authorization: Bearer <key>, or x-api-key: <key>)',
  }
}

/**
 * Parses a request target into a URL without ever throwing: `//`, `///`, `//:99999/` and the
 * like are not valid relative URLs (WHATWG reads them as a host), and a throw here once ended the
 * process. Every target that parsed before parses the same way now.
 * @returns the URL, or undefined for a target that is not one (the caller answers 400).
 * @see docs/gateway.md#malformed-requests
 */
export function parseTarget(target: string | undefined): URL | undefined {
  try {
    return new URL(target ?? '/', 'http://127.0.0.1')
  } catch {
    return undefined
  }
}
